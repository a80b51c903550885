package io.isthmus.remoted;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;

/**
 * The gateway's end of a registration WebSocket. What the server sends is read and ignored, pings are
 * answered with the same payload, a close is answered and ends the registration. After a quiet spell the
 * gateway pings with the decimal unix time as payload (as the reference does); if the dead-peer timeout is
 * set and nothing at all arrives for that long, the socket is dropped (the reference never drops it).
 */
final class RegistrationSocket extends ChannelInboundHandlerAdapter {

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof PingWebSocketFrame ping) {
            ctx.writeAndFlush(new PongWebSocketFrame(ping.content()));
        } else if (msg instanceof CloseWebSocketFrame close) {
            ctx.writeAndFlush(close.retainedDuplicate()).addListener(ChannelFutureListener.CLOSE);
            close.release();
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent idle) {
            if (idle.state() == IdleState.ALL_IDLE) {
                String now = Long.toString(System.currentTimeMillis() / 1000);
                ctx.writeAndFlush(new PingWebSocketFrame(Unpooled.copiedBuffer(now, StandardCharsets.US_ASCII)));
            } else if (idle.state() == IdleState.READER_IDLE) {
                ctx.close();
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A protocol violation (an unmasked or oversized frame) or an I/O error ends the registration.
        ctx.close();
    }
}
