package io.isthmus.core.testing;

import io.isthmus.core.http.PlainResponses;
import io.isthmus.core.spi.ConnectionHandler;
import io.isthmus.core.spi.Handoff;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;

/**
 * Replies with what the route received: its name, the head's method and target, the event loop thread
 * that accepted it, and the bytes behind the head — the leftover plus, when {@code X-Read-More: N} asks, N more bytes read afterwards.
 */
final class ProbeInfo implements ConnectionHandler {

    private final String name;

    private ProbeInfo(String name) {
        this.name = name;
    }

    static ProbeInfo named(String name) {
        return new ProbeInfo(name);
    }

    @Override
    public void handle(Handoff handoff) {
        String more = handoff.head().header("x-read-more");
        int wanted = more == null ? 0 : Integer.parseInt(more);
        StringBuilder body = new StringBuilder();
        body.append(handoff.leftover().toString(StandardCharsets.ISO_8859_1));
        handoff.leftover().release();
        String prefix = "route=" + name + " method=" + handoff.head().method() + " target=" + handoff.head().target()
                + " client=" + handoff.client().getAddress().getHostAddress() + ":" + handoff.client().getPort()
                + " loop=" + Thread.currentThread().getName() + " behind-head=";
        if (body.length() >= wanted) {
            reply(handoff, prefix + body);
            return;
        }
        handoff.channel().pipeline().addLast(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ByteBuf data = (ByteBuf) msg;
                body.append(data.toString(StandardCharsets.ISO_8859_1));
                data.release();
                if (body.length() >= wanted) {
                    ctx.channel().config().setAutoRead(false);
                    reply(handoff, prefix + body);
                }
            }
        });
        handoff.channel().config().setAutoRead(true);
    }

    private static void reply(Handoff handoff, String text) {
        PlainResponses.sendAndClose(handoff.channel(), HttpResponseStatus.OK, text);
    }
}
