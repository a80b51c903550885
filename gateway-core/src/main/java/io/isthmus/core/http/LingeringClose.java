package io.isthmus.core.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;

/**
 * Closes a connection after an error reply without destroying the reply. Closing a socket that still
 * has unread input makes the kernel send a reset, and a client still sending (a huge head, a body)
 * then loses the reply. So, as nginx's lingering close does: send FIN, read and discard for a bounded
 * time and amount, then close.
 */
public final class LingeringClose {

    private static final long MAX_LINGER_MILLIS = 2_000;
    private static final long MAX_DISCARD_BYTES = 1 << 20;

    private LingeringClose() {
    }

    /** Once {@code written} completes, ends output and discards input until EOF or the bounds, then closes. */
    public static void after(ChannelFuture written) {
        written.addListener((ChannelFutureListener) f -> {
            Channel ch = f.channel();
            if (!f.isSuccess() || !(ch instanceof DuplexChannel duplex) || !ch.isActive()) {
                ch.close();
                return;
            }
            ch.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
            ch.pipeline().addFirst("isthmus-lingering-close", new Discarder());
            duplex.shutdownOutput();
            ch.eventLoop().schedule(() -> ch.close(), MAX_LINGER_MILLIS, TimeUnit.MILLISECONDS);
            ch.config().setAutoRead(true);
        });
    }

    /** Discards what the client still sends, and closes at its EOF or past the byte bound. */
    private static final class Discarder extends ChannelInboundHandlerAdapter {
        private long discarded;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof io.netty.buffer.ByteBuf b) {
                discarded += b.readableBytes();
            }
            ReferenceCountUtil.release(msg);
            if (discarded > MAX_DISCARD_BYTES) {
                ctx.close();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            ReferenceCountUtil.release(evt);
            if (evt instanceof ChannelInputShutdownEvent) {
                ctx.close();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
