package io.isthmus.core.frontdoor;

import io.isthmus.core.http.PlainResponses;
import io.isthmus.core.metrics.ProtocolMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Collects bytes until a whole request head is in, within the head timeout (slowloris: one deadline from
 * accept to the end of the head, which trickled bytes do not extend). Then it passes the head and every
 * byte behind it on as one {@link ParsedRequest} and leaves the pipeline. A bad head gets its 400/431/505
 * reply, a late one 408, and the connection closes.
 *
 * <p>Auto-read stays on through the hand-off: plugins install their handler synchronously, and then Netty's
 * read loop may go on straight into it. Only when the plugin left no handler behind (it will take the
 * connection later) is auto-read turned off, so that no byte reaches the pipeline's end. Turning it off
 * and on again for every connection would cost two {@code epoll_ctl} calls each.
 */
final class HeadReader extends ChannelInboundHandlerAdapter {

    static final String NAME = "isthmus-head-reader";

    private final RequestHeadParser parser;
    private final Duration timeout;
    private final ProtocolMetrics metrics;
    private CompositeByteBuf received;
    private ScheduledFuture<?> deadline;
    private boolean done;
    /** Reading the next request of a kept-alive connection: silence until the deadline ends it quietly. */
    private final boolean keepAlive;
    private ChannelHandlerContext context;

    HeadReader(HeadLimits limits, Duration timeout, ProtocolMetrics metrics) {
        this(limits, timeout, metrics, false);
    }

    HeadReader(HeadLimits limits, Duration timeout, ProtocolMetrics metrics, boolean keepAlive) {
        this.parser = new RequestHeadParser(limits);
        this.timeout = timeout;
        this.metrics = metrics;
        this.keepAlive = keepAlive;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        deadline = ctx.executor().schedule(this::expire, timeout.toNanos(), TimeUnit.NANOSECONDS);
        this.context = ctx;
    }

    private void expire() {
        if (keepAlive && !done && (received == null || !received.isReadable())) {
            // An idle kept-alive connection ends without a reply, as every HTTP server ends one.
            done = true;
            context.channel().close();
            return;
        }
        reject(context, new HeadRejection(HttpResponseStatus.REQUEST_TIMEOUT, "head_timeout", "Request head not received in time"));
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
        // Flattened: the bytes behind a request come back as a composite (NextRequest); nesting one per
        // pipelined request made every byte access walk hundreds of levels.
        received.addFlattenedComponents(true, data);
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
        CompositeByteBuf all = received;
        received = null;
        all.skipBytes(parsed.headLength());
        ChannelPipeline pipeline = ctx.pipeline();
        ChannelHandler first = pipeline.first();
        ctx.fireChannelRead(new ParsedRequest(parsed.head(), all));
        if (pipeline.context(this) != null) {
            pipeline.remove(this);
        }
        if (ctx.channel().isOpen() && !pluginHandlerInstalled(pipeline, first)) {
            ctx.channel().config().setAutoRead(false);
        }
    }

    /**
     * Whether the plugin put a handler in the pipeline during the hand-off. The front door's own handlers
     * that stay (the connection limiter, TLS) sit at the start; plugins add theirs behind them, or in front
     * of everything (a discarding lingering close, a WebSocket codec before TLS is absent).
     */
    private static boolean pluginHandlerInstalled(ChannelPipeline pipeline, ChannelHandler firstBefore) {
        ChannelHandler last = pipeline.last();
        boolean frontDoorLast = last instanceof ConnectionLimiter || last instanceof SslHandler;
        return pipeline.first() != firstBefore || !frontDoorLast;
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
