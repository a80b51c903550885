package io.isthmus.wstunnel.viewer;

import io.isthmus.core.frontdoor.NextRequest;
import io.isthmus.core.frontdoor.RequestHeadParser;
import io.isthmus.core.http.PlainResponses;
import io.isthmus.core.http.RequestHead;
import io.isthmus.core.mux.MuxStream;
import io.isthmus.core.splice.Endpoint;
import io.isthmus.core.splice.EndpointSink;
import io.isthmus.core.splice.Splice;
import io.isthmus.core.splice.SpliceOptions;
import io.isthmus.wstunnel.WstunnelContext;
import io.isthmus.wstunnel.wsmux.WsmuxSession;
import io.isthmus.wstunnel.wsmux.WsmuxStream;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One viewer's connection (websocktunnel.md §5, §6): every request on it becomes one wsmux stream on its
 * client's session, joined to the connection by the splice engine for exactly one exchange. The request
 * head is rewritten (the {@code /<id>} stripped, {@code X-Websocktunnel-Original-Path} added) and the body
 * and the response pass as bytes; no HTTP codec runs over the stream. The response is followed through its
 * framing only to find its end: then the stream gets its FIN and the connection its next request. A
 * {@code 101} answer to an upgrade request turns the exchange into a raw byte splice (viewer WebSockets:
 * the client's 101 and every frame relayed verbatim, subprotocols and close codes included).
 */
public final class ViewerConnection extends ChannelInboundHandlerAdapter {

    public static final String NAME = "wstunnel-viewer";
    /** Bytes of a viewer's next request held while the current one is answered, before reading pauses. */
    static final int HOLD_LIMIT = 256 * 1024;
    private static final String ORIGINAL_PATH = "X-Websocktunnel-Original-Path";

    private final Channel channel;
    private final WstunnelContext ctx;
    private CompositeByteBuf buffered;
    private Exchange current;
    private boolean closing;
    /** The connection went back to the front door (a later request for another route). */
    private boolean handedBack;
    /** Runs while the connection waits for its next request (viewer-idle-timeout). */
    private ScheduledFuture<?> idleTimer;
    private long idleSince;

    private ViewerConnection(Channel channel, WstunnelContext ctx) {
        this.channel = channel;
        this.ctx = ctx;
    }

    /** Takes the viewer's connection after its first request head; on the channel's event loop. */
    public static void adopt(Channel channel, RequestHead head, ByteBuf leftover, WstunnelContext ctx) {
        ViewerConnection viewer = new ViewerConnection(channel, ctx);
        viewer.buffered = channel.alloc().compositeBuffer(Integer.MAX_VALUE);
        viewer.buffered.addComponent(true, leftover);
        channel.pipeline().addLast(NAME, viewer);
        viewer.begin(head);
    }

    // ---- the connection ----

    @Override
    public void channelRead(ChannelHandlerContext c, Object msg) {
        if (!(msg instanceof ByteBuf data) || closing || buffered == null) {
            ReferenceCountUtil.release(msg);
            return;
        }
        buffered.addComponent(true, data);
        if (current == null) {
            nextHead();
        } else {
            current.pumpRequest();
        }
        updateAutoRead();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext c) {
        Exchange ex = current;
        if (ex != null && ex.sink != null && !ex.detached) {
            ex.sink.onWritabilityChanged(channel.isWritable());
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext c) {
        closing = true;
        cancelIdleTimer();
        Exchange ex = current;
        if (ex != null) {
            ex.viewerGone();
        }
        releaseBuffered();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext c) {
        cancelIdleTimer();
        releaseBuffered();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext c, Throwable cause) {
        c.close();
    }

    /**
     * The next {@code n} buffered bytes as a buffer of their own: retained slices of the components, never
     * a slice of the composite, whose indices move when read components are discarded.
     */
    private ByteBuf take(int n) {
        java.util.List<ByteBuf> parts = buffered.decompose(buffered.readerIndex(), n);
        buffered.skipBytes(n);
        ByteBuf out;
        if (parts.size() == 1) {
            out = parts.get(0).retain();
        } else {
            CompositeByteBuf c = channel.alloc().compositeBuffer(parts.size());
            for (ByteBuf p : parts) {
                c.addComponent(true, p.retain());
            }
            out = c;
        }
        buffered.discardReadComponents();
        return out;
    }

    private void releaseBuffered() {
        if (buffered != null) {
            buffered.release();
            buffered = null;
        }
    }

    private void updateAutoRead() {
        if (handedBack) {
            return;
        }
        boolean want = !closing && buffered != null && buffered.readableBytes() < HOLD_LIMIT
                && (current == null || current.reading || current.requestDone);
        if (channel.isActive() && channel.config().isAutoRead() != want) {
            channel.config().setAutoRead(want);
        }
    }

    private void nextHead() {
        if (buffered == null || !buffered.isReadable()) {
            return;
        }
        RequestHeadParser parser = new RequestHeadParser(ctx.headLimits());
        RequestHeadParser.Result r = parser.offer(buffered);
        if (r instanceof RequestHeadParser.Parsed parsed) {
            if (!parsed.head().target().startsWith(ctx.config().mount())) {
                // A keep-alive connection (a proxy's pooled upstream, a browser) may carry a request for
                // another route next: the front door routes it, head and all, as it did the first.
                handedBack = true;
                ByteBuf rest = buffered;
                buffered = null;
                channel.pipeline().remove(this);
                NextRequest.read(channel, rest);
                return;
            }
            buffered.skipBytes(parsed.headLength());
            buffered.discardReadComponents();
            begin(parsed.head());
        } else if (r instanceof RequestHeadParser.Rejected rejected) {
            closing = true;
            ctx.metrics().protocol().rejection(rejected.rejection().reason());
            PlainResponses.sendAndClose(channel, rejected.rejection().status(), rejected.rejection().message());
        }
    }

    private void refuse(String outcome, Runnable reply) {
        closing = true;
        current = null;
        ctx.metrics().viewerRequest(outcome);
        channel.config().setAutoRead(false);
        reply.run();
    }

    /** Starts the exchange for {@code head}: finds the client, opens a stream, joins it once accepted. */
    private void begin(RequestHead head) {
        String mount = ctx.config().mount();
        if (!head.target().startsWith(mount)) {
            refuse("not_found", () -> io.isthmus.wstunnel.WstunnelHandler.notFound(channel));
            return;
        }
        ViewerTarget target = ViewerTarget.of(mount, head.target());
        if (target.id().isEmpty()) {
            refuse("not_found", () -> io.isthmus.wstunnel.WstunnelHandler.notFound(channel));
            return;
        }
        WsmuxSession session = ctx.registry().find(target.id());
        if (session == null) {
            refuse("no_client", () -> io.isthmus.wstunnel.WstunnelHandler.noClient(channel));
            return;
        }
        if (!io.isthmus.core.overload.Admission.admits(channel, io.isthmus.wstunnel.WstunnelPlugin.NAME,
                io.isthmus.core.overload.Admission.Work.STREAM)) {
            // Memory is short (isthmus.limits.memory): no new stream; the viewer gets Go's plain 503.
            refuse("overloaded", () -> io.isthmus.wstunnel.WstunnelHandler.unavailable(channel));
            return;
        }
        Exchange ex = new Exchange(head);
        current = ex;
        ByteBuf rewritten = rewrite(head, target);
        EventLoop viewerLoop = channel.eventLoop();
        session.eventLoop().execute(() -> {
            WsmuxStream stream = session.open(ctx.config().openTimeout());
            if (stream == null) {
                rewritten.release();
                viewerLoop.execute(() -> ex.openFailed());
                return;
            }
            stream.opened().addListener(f -> {
                if (!f.isSuccess()) {
                    rewritten.release();
                    viewerLoop.execute(() -> ex.openFailed());
                    return;
                }
                stream.write(rewritten);
                viewerLoop.execute(() -> ex.attach(stream));
            });
        });
        updateAutoRead();
    }

    /** The request head as the client gets it: target below the id, the viewer's headers, the original path. */
    private ByteBuf rewrite(RequestHead head, ViewerTarget target) {
        StringBuilder s = new StringBuilder(256);
        s.append(head.method()).append(' ').append(target.forwarded()).append(' ').append(head.version()).append("\r\n");
        for (Map.Entry<String, String> h : head.headers()) {
            if (!h.getKey().equalsIgnoreCase(ORIGINAL_PATH)) {
                s.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
            }
        }
        s.append(ORIGINAL_PATH).append(": ");
        ByteBuf out = channel.alloc().buffer(s.length() + 128);
        out.writeCharSequence(s, StandardCharsets.ISO_8859_1);
        out.writeCharSequence(ViewerTarget.decodedPath(head.target()), StandardCharsets.UTF_8);
        out.writeCharSequence("\r\n\r\n", StandardCharsets.ISO_8859_1);
        return out;
    }

    /** The exchange ended with its response complete; on the viewer's loop. */
    private void exchangeDone(Exchange ex, boolean keepAlive) {
        if (current != ex) {
            return;
        }
        current = null;
        if (!keepAlive || closing) {
            closing = true;
            closeAfterFlush();
            return;
        }
        nextHead();
        if (current == null && !closing && !handedBack) {
            startIdleTimer();
        }
        updateAutoRead();
    }

    /**
     * Between requests: a keep-alive connection may wait viewer-idle-timeout for its next request, then it
     * closes. One timer per connection at most, re-armed lazily, so busy connections pay no timer per request.
     */
    private void startIdleTimer() {
        idleSince = System.nanoTime();
        if (idleTimer == null) {
            armIdleTimer(ctx.config().viewerIdleTimeout().toNanos());
        }
    }

    private void armIdleTimer(long nanos) {
        idleTimer = channel.eventLoop().schedule(this::idleCheck, nanos, TimeUnit.NANOSECONDS);
    }

    private void idleCheck() {
        idleTimer = null;
        if (current != null || closing || handedBack || !channel.isActive()) {
            return;
        }
        long left = idleSince + ctx.config().viewerIdleTimeout().toNanos() - System.nanoTime();
        if (left > 0) {
            armIdleTimer(left);
            return;
        }
        closing = true;
        ctx.metrics().viewerIdleClosed();
        channel.close();
    }

    private void cancelIdleTimer() {
        if (idleTimer != null) {
            idleTimer.cancel(false);
            idleTimer = null;
        }
    }

    private void closeAfterFlush() {
        channel.config().setAutoRead(false);
        channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    /**
     * One request and its response, as the splice's side B. Its input is the request's bytes (head rewritten,
     * body as framed); it never reports the end of the request as an end of input, since a FIN then would
     * make wst-client close the backend connection and lose the response (§5). Its end of input is the end
     * of the response: the splice then FINs the stream. After that it is detached and the connection goes on.
     */
    private final class Exchange implements Endpoint {
        private final RequestHead head;
        private final RequestBody body;
        private final ResponseFraming response;
        private final boolean upgrade;
        private EndpointSink sink;
        private MuxStream stream;
        private boolean reading = true;
        private boolean requestDone;
        private boolean upgraded;
        private boolean detached;
        /** The response ended cleanly: the connection is the ViewerConnection's again. */
        private boolean keepConnection;
        /** A plain 500 went out and closes the connection by itself. */
        private boolean replied;
        private long viewerBytes;

        Exchange(RequestHead head) {
            this.head = head;
            this.upgrade = head.headerHasToken("connection", "upgrade") && head.header("upgrade") != null;
            this.body = RequestBody.of(head);
            this.requestDone = body.done() && !upgrade;
            this.response = new ResponseFraming(head.method().equals("HEAD"), upgrade);
        }

        void openFailed() {
            if (current != this) {
                return;
            }
            refuse("open_failed", () -> io.isthmus.wstunnel.WstunnelHandler.internalError(channel));
        }

        void attach(MuxStream s) {
            this.stream = s;
            if (current != this || closing) {
                s.close();
                return;
            }
            ctx.metrics().streamOpened();
            Splice splice = ctx.splices().join(s, this,
                    SpliceOptions.of("wstunnel", ctx.config().idleTimeout()).withHalfClose(true));
            splice.completion().addListener(f -> ctx.metrics().streamClosed());
        }

        void viewerGone() {
            if (sink != null && !detached) {
                detached = true;
                ctx.metrics().viewerRequest("viewer_gone");
                sink.onClosed(null);
            }
        }

        @Override
        public String kind() {
            return "viewer-http";
        }

        @Override
        public EventLoop eventLoop() {
            return channel.eventLoop();
        }

        private void onLoop(Runnable task) {
            if (channel.eventLoop().inEventLoop()) {
                task.run();
            } else {
                channel.eventLoop().execute(task);
            }
        }

        @Override
        public void open(EndpointSink s) {
            onLoop(() -> {
                this.sink = s;
                if (!channel.isActive() || buffered == null) {
                    viewerGone();
                    return;
                }
                pumpRequest();
            });
        }

        /** Passes on the request's bytes that have arrived (all of them once upgraded). */
        void pumpRequest() {
            if (sink == null || detached || !reading || buffered == null || (requestDone && !upgraded)) {
                return;
            }
            if (!buffered.isReadable()) {
                return;
            }
            int n = upgraded ? buffered.readableBytes() : body.scan(buffered);
            if (!upgraded && body.done() && !upgrade) {
                requestDone = true;
            }
            if (n > 0) {
                ByteBuf part = take(n);
                sink.onData(part);
                sink.onReadComplete();
            }
            updateAutoRead();
        }

        @Override
        public void write(ByteBuf data) {
            onLoop(() -> respond(data));
        }

        private void respond(ByteBuf data) {
            if (detached || !channel.isActive()) {
                data.release();
                return;
            }
            int n = response.scan(data);
            ResponseFraming.Result result = response.result();
            if (result == ResponseFraming.Result.BROKEN) {
                data.release();
                ctx.metrics().viewerRequest("bad_response");
                if (viewerBytes == 0) {
                    replyInternalError();
                }
                endInput();
                return;
            }
            ByteBuf part = n == data.readableBytes() ? data : data.readRetainedSlice(n);
            if (part != data) {
                data.release();
            }
            viewerBytes += part.readableBytes();
            channel.write(part, channel.voidPromise());
            if (result == ResponseFraming.Result.COMPLETE) {
                channel.flush();
                responseComplete();
            } else if (result == ResponseFraming.Result.UPGRADED && !upgraded) {
                upgraded = true;
                ctx.metrics().viewerWebSocket();
                pumpRequest();
            }
        }

        private void responseComplete() {
            ctx.metrics().viewerRequest("ok");
            boolean keepAlive = response.keepAlive() && requestDone && !head.headerHasToken("connection", "close")
                    && !(head.version().equalsIgnoreCase("HTTP/1.0") && !head.headerHasToken("connection", "keep-alive"));
            keepConnection = true;
            endInput();
            exchangeDone(this, keepAlive);
        }

        private void replyInternalError() {
            replied = true;
            closing = true;
            io.isthmus.wstunnel.WstunnelHandler.internalError(channel);
        }

        /** Tells the splice this side is done (it then ends the stream), once; later writes are dropped. */
        private void endInput() {
            if (!detached) {
                detached = true;
                sink.onInputShutdown();
            }
        }

        @Override
        public void flush() {
            onLoop(channel::flush);
        }

        @Override
        public boolean isWritable() {
            return channel.isWritable();
        }

        @Override
        public void setReading(boolean on) {
            onLoop(() -> {
                reading = on;
                if (on) {
                    pumpRequest();
                }
                updateAutoRead();
            });
        }

        @Override
        public boolean supportsHalfClose() {
            return true;
        }

        /** The client ended the stream: a response delimited by that end is complete, any other is cut short. */
        @Override
        public void shutdownOutput() {
            onLoop(() -> {
                if (detached) {
                    return;
                }
                if (upgraded) {
                    ctx.metrics().viewerRequest("ok");
                } else if (response.nothingYet()) {
                    // wst-client FINs at once when its local port refuses (§5): no response at all.
                    ctx.metrics().viewerRequest("bad_response");
                    replyInternalError();
                } else if (response.delimitedByEnd()) {
                    ctx.metrics().viewerRequest("ok");
                } else {
                    ctx.metrics().viewerRequest("incomplete");
                }
                closing = true;
                endInput();
            });
        }

        @Override
        public void close() {
            onLoop(() -> end(false));
        }

        @Override
        public void abort() {
            onLoop(() -> end(true));
        }

        /** The splice is over: unless the response ended cleanly, the connection goes too. */
        private void end(boolean now) {
            detached = true;
            if (current == this) {
                current = null;
            }
            if (keepConnection || replied || !channel.isActive()) {
                return;
            }
            closing = true;
            if (now) {
                channel.close();
            } else {
                closeAfterFlush();
            }
        }
    }
}
