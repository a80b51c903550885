package io.isthmus.rawsocket.bridge;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.base64.Base64;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;

/**
 * websockify's old {@code base64} mode (removed upstream in 0.9, still spoken by old clients and the npm
 * websockify 0.7): each text frame carries base64 of stream bytes, both ways. Sits between the frame codec
 * and the endpoint, so the endpoint still sees binary frames. A text frame that is not base64, or a
 * fragmented one (a fragment may split a base64 quantum), gets close 1007.
 */
public final class Base64TextFrames extends ChannelDuplexHandler {

    private boolean refused;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ContinuationWebSocketFrame c) {
            c.release();
            refuse(ctx, "Fragmented base64 messages are not supported");
            return;
        }
        if (msg instanceof TextWebSocketFrame text) {
            if (refused) {
                text.release();
                return;
            }
            if (!text.isFinalFragment()) {
                text.release();
                refuse(ctx, "Fragmented base64 messages are not supported");
                return;
            }
            ByteBuf decoded;
            try {
                decoded = Base64.decode(text.content());
            } catch (IllegalArgumentException e) {
                text.release();
                refuse(ctx, "Invalid base64 data");
                return;
            }
            text.release();
            ctx.fireChannelRead(new BinaryWebSocketFrame(decoded));
            return;
        }
        ctx.fireChannelRead(msg);
    }

    private void refuse(ChannelHandlerContext ctx, String reason) {
        if (refused) {
            return;
        }
        refused = true;
        ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.INVALID_PAYLOAD_DATA.code(), reason))
                .addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof BinaryWebSocketFrame binary) {
            ByteBuf encoded = Base64.encode(binary.content(), false);
            binary.release();
            ctx.write(new TextWebSocketFrame(encoded), promise);
            return;
        }
        ctx.write(msg, promise);
    }
}
