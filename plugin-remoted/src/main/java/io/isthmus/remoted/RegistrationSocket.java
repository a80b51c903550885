package io.isthmus.remoted;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * The gateway's end of a registration WebSocket. What the server sends is read and ignored, pings are
 * answered with the same payload, a close is answered and ends the registration. Keepalive pings and the
 * dead-peer timeout are the core's {@code WebSocketKeepalive}, installed in front of this handler.
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
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof CorruptedWebSocketFrameException) {
            // A protocol violation (an unmasked or oversized frame): the frame decoder sends the close frame
            // with its code (1002, 1009) and closes once it is out; closing here could cut it off.
            return;
        }
        // An I/O error ends the registration.
        ctx.close();
    }
}
