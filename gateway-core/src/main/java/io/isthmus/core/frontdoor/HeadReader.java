package io.isthmus.core.frontdoor;

import io.isthmus.core.http.PlainResponses;
import io.isthmus.core.metrics.ProtocolMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Collects bytes until a whole request head is in, within the head timeout (slowloris: one deadline from
 * accept to the end of the head, which trickled bytes do not extend). Then it turns auto-read off, passes
 * the head and every byte behind it on as one {@link ParsedRequest}, and leaves the pipeline. A bad head
 * gets its 400/431/505 reply, a late one 408, and the connection closes.
 */
final class HeadReader extends ChannelInboundHandlerAdapter {

    static final String NAME = "isthmus-head-reader";

    private final RequestHeadParser parser;
    private final Duration timeout;
    private final ProtocolMetrics metrics;
    private CompositeByteBuf received;
    private ScheduledFuture<?> deadline;
    private boolean done;

    HeadReader(HeadLimits limits, Duration timeout, ProtocolMetrics metrics) {
        this.parser = new RequestHeadParser(limits);
        this.timeout = timeout;
        this.metrics = metrics;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        deadline = ctx.executor().schedule(() -> reject(ctx, new HeadRejection(HttpResponseStatus.REQUEST_TIMEOUT,
                "head_timeout", "Request head not received in time")), timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (done || !(msg instanceof ByteBuf data)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (received == null) {
            received = ctx.alloc().compositeBuffer(Integer.MAX_VALUE);
        }
        received.addComponent(true, data);
        RequestHeadParser.Result result = parser.offer(received);
        if (result instanceof RequestHeadParser.Parsed parsed) {
            handOn(ctx, parsed);
        } else if (result instanceof RequestHeadParser.Rejected rejected) {
            reject(ctx, rejected.rejection());
        }
    }

    private void handOn(ChannelHandlerContext ctx, RequestHeadParser.Parsed parsed) {
        done = true;
        deadline.cancel(false);
        ctx.channel().config().setAutoRead(false);
        CompositeByteBuf all = received;
        received = null;
        all.skipBytes(parsed.headLength());
        ctx.fireChannelRead(new ParsedRequest(parsed.head(), all));
        if (ctx.pipeline().context(this) != null) {
            ctx.pipeline().remove(this);
        }
    }

    private void reject(ChannelHandlerContext ctx, HeadRejection rejection) {
        if (done) {
            return;
        }
        done = true;
        deadline.cancel(false);
        metrics.rejection(rejection.reason());
        ctx.channel().config().setAutoRead(false);
        PlainResponses.sendAndClose(ctx.channel(), rejection.status(), rejection.message());
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (deadline != null) {
            deadline.cancel(false);
        }
        if (received != null) {
            received.release();
            received = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (deadline != null) {
            deadline.cancel(false);
        }
        ctx.fireChannelInactive();
    }
}
