package io.isthmus.core.splice;

import io.isthmus.core.transport.ReadBufferSlices;
import io.isthmus.core.transport.WaitingSlices;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.internal.SystemPropertyUtil;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.ArrayDeque;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * An endpoint that is a whole Netty channel (TCP, WebSocket). Its handler is installed when the plugin
 * adopts the channel, so no byte is lost between a handshake and the splice: until {@link #open} it holds
 * what arrives (up to a limit, then stops reading) and remembers an end of input or a close; {@link #open}
 * delivers the held bytes first. Subclasses turn channel messages into bytes and back.
 *
 * <p>{@link #close()} is a lingering close (as the front door's {@code LingeringClose} after an error reply):
 * flush, end the output ({@link #endOutput()}: FIN, close frame), discard input until the peer ends its own
 * or {@code linger} passes, then close; the flush itself may take at most {@code flush} (a peer that reads
 * nothing). The splice engine sets both bounds when it joins the endpoint.
 */
public abstract class ChannelEndpoint implements Endpoint {

    public static final String HANDLER_NAME = "isthmus-endpoint";

    /** Marks an outbound handler that passes raw bytes and file regions through unchanged ({@link PlainWebSocketChannel}). */
    interface PassesRawWrites {
    }

    /** Bounds of a close before the splice engine sets its own (an endpoint closed before any join). */
    private static final Duration DEFAULT_FLUSH_BOUND = Duration.ofSeconds(30);
    private static final Duration DEFAULT_LINGER = Duration.ofSeconds(2);

    /** What Netty's outbound buffer counts for each message beyond its bytes (its own default and property). */
    private static final int OUTBOUND_ENTRY_OVERHEAD =
            SystemPropertyUtil.getInt("io.netty.transport.outboundBufferEntrySizeOverhead", 96);

    protected final Channel channel;
    private final Handler handler;
    /** The read buffers that writes waiting in the channel's outbound buffer keep alive. */
    private final WaitingSlices waiting = new WaitingSlices();
    private volatile Duration flushBound = DEFAULT_FLUSH_BOUND;
    private volatile Duration linger = DEFAULT_LINGER;
    /** An endpoint's own upper bound on the linger (a WebSocket's close timeout), or null. */
    private volatile Duration lingerCap;

    protected ChannelEndpoint(Channel channel, int holdLimit) {
        this(channel, holdLimit, false);
    }

    /**
     * With {@code keepsMessages}, each inbound message stays a buffer of its own while held (a datagram, a
     * WebSocket message carrying one): nothing is merged, and empty messages count.
     */
    protected ChannelEndpoint(Channel channel, int holdLimit, boolean keepsMessages) {
        this.channel = channel;
        this.handler = new Handler(holdLimit, keepsMessages);
    }

    /** Installs the handler and takes {@code alreadyRead} (may be null) as the first inbound message(s). */
    protected final void install(Object alreadyRead) {
        if (!channel.isActive()) {
            ReferenceCountUtil.release(alreadyRead);
            handler.closed = true;
            return;
        }
        channel.pipeline().addLast(HANDLER_NAME, handler);
        if (alreadyRead != null) {
            deliverAlreadyRead(alreadyRead);
        }
        if (handler.held() <= handler.holdLimit) {
            channel.config().setAutoRead(true);
        }
    }

    /** Feeds bytes read before adoption; the WebSocket kind runs them through its frame decoder first. */
    protected void deliverAlreadyRead(Object alreadyRead) {
        handler.inbound(channel.pipeline().context(handler), alreadyRead);
    }

    /** Converts an inbound channel message to bytes, or handles it and returns null (control frames). */
    protected abstract ByteBuf toBytes(ChannelHandlerContext ctx, Object msg);

    /** Wraps outbound bytes as the channel's message type. */
    protected abstract Object fromBytes(ByteBuf data);

    /**
     * Ends this side's output after everything queued was flushed (a FIN, a close frame, TLS close_notify);
     * the future completes once that went out. On the event loop.
     */
    protected abstract ChannelFuture endOutput();

    /**
     * How a close of this endpoint is bounded: {@code flush} for what is queued to go out, then
     * {@code linger} for the peer to end its output while its input is discarded.
     */
    void closeBounds(Duration flush, Duration linger) {
        this.flushBound = flush;
        this.linger = lingerCap == null || linger.compareTo(lingerCap) < 0 ? linger : lingerCap;
    }

    /** Whether a close has begun (from then on inbound bytes are discarded). */
    /** Lingers at most {@code bound} whatever the splice engine's bound is. */
    protected final void lingerAtMost(Duration bound) {
        this.lingerCap = bound;
        if (linger.compareTo(bound) > 0) {
            linger = bound;
        }
    }

    protected final boolean closing() {
        return handler.lingering;
    }

    /** Called by subclasses when their protocol says the peer will send no more (a close frame). */
    protected final void inputEnded() {
        handler.inputShutdown();
    }

    /**
     * Called by subclasses that sent their FIN themselves and let the channel close at the peer's FIN:
     * a clean close from then on is reported as the end of input first, as a half-close would have been.
     */
    protected final void outputShutDown() {
        handler.outputShutDown = true;
    }

    public Channel channel() {
        return channel;
    }

    /** Bytes held before the splice opened this endpoint. */
    public int heldBytes() {
        return handler.held();
    }

    /** Whether the peer ended its output or the connection closed while the endpoint was held. */
    public boolean endedWhileHeld() {
        return handler.inputEnded || handler.closed || !channel.isActive();
    }

    @Override
    public EventLoop eventLoop() {
        return channel.eventLoop();
    }

    /**
     * Moves the channel onto {@code target} (deregister, then register there) so that one thread serves
     * both sides of a splice. Call before {@link #open}: what the handler holds stays in the pipeline and is
     * delivered by {@code open}, and whatever the socket receives meanwhile waits in the kernel until the
     * channel is registered again (Netty reads again on re-registration when auto-read is on). The future
     * says whether the channel now lives on {@code target}; on failure it stays where it was, or is closed
     * when it cannot go back.
     *
     * <p>Only epoll and NIO channels move: their reads wait in the kernel while unregistered. An io_uring
     * channel keeps a read submitted to its old ring, whose completion would land on the old loop (bytes
     * then stall: seen with Netty 4.2.18), so it stays where it is.
     */
    Future<Boolean> moveTo(EventLoop target) {
        Promise<Boolean> moved = target.newPromise();
        EventLoop home = channel.eventLoop();
        Runnable move = () -> {
            if (!movable(channel) || !channel.isRegistered() || !channel.isOpen()) {
                moved.setSuccess(false);
                return;
            }
            channel.deregister().addListener(gone -> {
                if (!gone.isSuccess()) {
                    moved.setSuccess(false);
                    return;
                }
                target.register(channel).addListener(there -> {
                    if (there.isSuccess()) {
                        resumeAfterMove();
                        moved.setSuccess(true);
                        return;
                    }
                    if (!channel.isOpen()) {
                        dropHeldOfDeadChannel();
                        moved.setSuccess(false);
                        return;
                    }
                    home.register(channel).addListener(back -> {
                        if (back.isSuccess()) {
                            resumeAfterMove();
                        } else {
                            channel.close();
                            dropHeldOfDeadChannel();
                        }
                        moved.setSuccess(false);
                    });
                });
            });
        };
        if (home.inEventLoop()) {
            move.run();
        } else {
            home.execute(move);
        }
        return moved;
    }

    private static boolean movable(Channel channel) {
        return channel instanceof io.netty.channel.epoll.AbstractEpollStreamChannel
                || channel instanceof io.netty.channel.nio.AbstractNioChannel;
    }

    /**
     * Re-registration starts the transport's interest set afresh: reads resume by themselves when auto-read
     * is on, but a write that was waiting for the socket to drain must be flushed again to be noticed.
     */
    private void resumeAfterMove() {
        channel.flush();
    }

    /** A channel closed while it belonged to no event loop never runs its pipeline's teardown. */
    private void dropHeldOfDeadChannel() {
        handler.dropHeld();
    }

    /**
     * For the kernel splice path: runs every close of the channel through {@code gate}, which gets the close
     * to run once the channel is Netty's again. A channel closed while deregistered from its event loop
     * would skip its pipeline's teardown (no channelInactive, so the splice would never hear of it).
     */
    void guardClose(Consumer<Runnable> gate) {
        handler.closeGate = gate;
    }

    /** Like {@link #open} but pauses reading (the kernel path decides when to read); on the event loop. */
    void openPaused(EndpointSink sink) {
        handler.open(sink, false);
    }

    @Override
    public void open(EndpointSink sink) {
        if (eventLoop().inEventLoop()) {
            handler.open(sink, true);
        } else {
            eventLoop().execute(() -> handler.open(sink, true));
        }
    }

    @Override
    public void write(ByteBuf data) {
        channel.write(fromBytes(detachIfWaiting(data)), channel.voidPromise());
    }

    @Override
    public void write(ByteBuf data, IntConsumer delivered) {
        int n = data.readableBytes();
        ChannelPromise written = channel.newPromise();
        written.addListener(f -> {
            if (f.isSuccess()) {
                delivered.accept(n);
            }
        });
        channel.write(fromBytes(detachIfWaiting(data)), written);
    }

    /**
     * Bytes written here may wait behind bytes the socket has not taken yet, keeping the read buffers they
     * are slices of alive: the ledger of what waits copies out those that would pin too much. Writes come
     * from the one thread that reads the other side.
     */
    private ByteBuf detachIfWaiting(ByteBuf data) {
        ChannelOutboundBuffer queued = channel.unsafe().outboundBuffer();
        if (queued == null) {
            return data;
        }
        waiting.trimTo(queued.totalPendingWriteBytes(), OUTBOUND_ENTRY_OVERHEAD);
        return waiting.admit(data);
    }

    @Override
    public Future<?> closeFuture() {
        return channel.closeFuture();
    }

    @Override
    public void flush() {
        channel.flush();
    }

    @Override
    public boolean isWritable() {
        return channel.isWritable();
    }

    @Override
    public void setReading(boolean reading) {
        if (eventLoop().inEventLoop()) {
            applyReading(reading);
        } else {
            eventLoop().execute(() -> applyReading(reading));
        }
    }

    private void applyReading(boolean reading) {
        // Once the input has ended there is nothing to read; re-arming a read then makes Netty 4.2's epoll
        // transport modify a registration it no longer holds (epoll_ctl ENOENT) and close the channel.
        if (!handler.inputEnded && channel.isActive()) {
            channel.config().setAutoRead(reading);
        }
    }

    @Override
    public void close() {
        if (eventLoop().inEventLoop()) {
            closeOnLoop();
        } else {
            eventLoop().execute(this::closeOnLoop);
        }
    }

    private void closeOnLoop() {
        Consumer<Runnable> gate = handler.closeGate;
        if (gate == null) {
            lingeringClose();
        } else {
            // The kernel path gives the channel back to Netty first: writes and reads need its registration.
            gate.accept(this::lingeringClose);
        }
    }

    private void lingeringClose() {
        if (handler.lingering) {
            return;
        }
        if (!channel.isActive()) {
            channel.close();
            return;
        }
        handler.lingering = true;
        ScheduledFuture<?> flushDeadline = closeAfter(flushBound);
        // Read on, discarding: input left unread would turn the close into a reset.
        applyReading(true);
        channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(flushed -> {
            if (!flushed.isSuccess() || !channel.isActive()) {
                channel.close();
                return;
            }
            endOutput().addListener(ended -> {
                flushDeadline.cancel(false);
                if (!ended.isSuccess() || handler.inputEnded || !channel.isActive()) {
                    channel.close();
                    return;
                }
                handler.outputEnded = true;
                closeAfter(linger);
            });
        });
    }

    private ScheduledFuture<?> closeAfter(Duration bound) {
        ScheduledFuture<?> deadline = channel.eventLoop().schedule(() -> {
            channel.close();
        }, bound.toNanos(), TimeUnit.NANOSECONDS);
        channel.closeFuture().addListener(f -> deadline.cancel(false));
        return deadline;
    }

    @Override
    public void abort() {
        channel.close();
    }

    /**
     * Holds inbound events until the splice opens the endpoint, then passes them on to the sink; lets the
     * kernel path see a close first.
     */
    private final class Handler extends ChannelDuplexHandler implements PassesRawWrites {
        private final int holdLimit;
        private final boolean keepsMessages;
        private EndpointSink sink;
        /** What arrived before the splice opened: the one buffer read, or a composite once there are more. */
        private ByteBuf held;
        /** The same for endpoints that keep message boundaries: one buffer per message, in order. */
        private ArrayDeque<ByteBuf> heldMessages;
        private int heldMessageBytes;
        private volatile boolean inputEnded;
        private volatile boolean closed;
        /** A lingering close began: inbound bytes are discarded. */
        private volatile boolean lingering;
        /** The lingering close ended the output: the peer's end of input closes the channel. */
        private boolean outputEnded;
        private boolean outputShutDown;
        private Throwable failure;
        private Consumer<Runnable> closeGate;

        Handler(int holdLimit, boolean keepsMessages) {
            this.holdLimit = holdLimit;
            this.keepsMessages = keepsMessages;
        }

        int held() {
            return held == null ? heldMessageBytes : held.readableBytes();
        }

        void open(EndpointSink target, boolean resumeReading) {
            this.sink = target;
            if (held != null) {
                ByteBuf first = held;
                held = null;
                target.onData(first);
                target.onReadComplete();
            }
            if (heldMessages != null) {
                ArrayDeque<ByteBuf> messages = heldMessages;
                heldMessages = null;
                heldMessageBytes = 0;
                for (ByteBuf m = messages.poll(); m != null; m = messages.poll()) {
                    target.onData(m);
                }
                target.onReadComplete();
            }
            if (inputEnded) {
                target.onInputShutdown();
            }
            // A channel closed while it was being moved between event loops fires no channelInactive.
            if (closed || !channel.isOpen()) {
                closed = true;
                target.onClosed(failure);
                return;
            }
            applyReading(resumeReading);
        }

        void dropHeld() {
            if (held != null) {
                held.release();
                held = null;
            }
            if (heldMessages != null) {
                for (ByteBuf m = heldMessages.poll(); m != null; m = heldMessages.poll()) {
                    m.release();
                }
                heldMessages = null;
                heldMessageBytes = 0;
            }
        }

        void inbound(ChannelHandlerContext ctx, Object msg) {
            ByteBuf data = toBytes(ctx, msg);
            if (data == null) {
                return;
            }
            if (lingering) {
                data.release();
                return;
            }
            if (sink != null) {
                sink.onData(data);
                return;
            }
            if (keepsMessages) {
                if (heldMessages == null) {
                    heldMessages = new ArrayDeque<>();
                }
                // Counted before detach, which may release data for a copy of it.
                heldMessageBytes += data.readableBytes();
                heldMessages.add(ReadBufferSlices.detach(data));
                if (heldMessageBytes > holdLimit) {
                    ctx.channel().config().setAutoRead(false);
                }
                return;
            }
            if (!data.isReadable()) {
                data.release();
                return;
            }
            data = ReadBufferSlices.detach(data);
            if (held == null) {
                // Most endpoints hold one read (a greeting) or nothing: no composite for them.
                held = data;
            } else {
                CompositeByteBuf all = held instanceof CompositeByteBuf c ? c
                        : ctx.alloc().compositeBuffer(Integer.MAX_VALUE).addComponent(true, held);
                held = all.addComponent(true, data);
            }
            if (held() > holdLimit) {
                ctx.channel().config().setAutoRead(false);
            }
        }

        void inputShutdown() {
            inputEnded = true;
            if (sink != null) {
                sink.onInputShutdown();
            }
            if (outputEnded) {
                // The lingering close is over: the peer has read what it wanted and ended too.
                channel.close();
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            inbound(ctx, msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (sink != null) {
                sink.onReadComplete();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                inputShutdown();
            }
            ReferenceCountUtil.release(evt);
        }

        @Override
        public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
            Consumer<Runnable> gate = closeGate;
            if (gate == null) {
                ctx.close(promise);
            } else {
                gate.accept(() -> ctx.close(promise));
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (sink != null) {
                sink.onWritabilityChanged(ctx.channel().isWritable());
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            closed = true;
            if (outputShutDown && failure == null && !inputEnded) {
                inputShutdown();
            }
            if (sink != null) {
                sink.onClosed(failure);
            }
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            dropHeld();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // A reset, an I/O error or a protocol violation: the connection is finished, and the splice
            // hears of it through channelInactive with this cause.
            if (failure == null) {
                failure = cause;
            }
            if (cause instanceof CorruptedWebSocketFrameException) {
                // The frame decoder has sent its close frame (1002, 1009) and closes once it is out.
                return;
            }
            ctx.close();
        }
    }
}
