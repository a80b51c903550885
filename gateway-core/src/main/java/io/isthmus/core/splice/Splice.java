package io.isthmus.core.splice;

import io.isthmus.core.metrics.ProtocolMetrics;
import io.micrometer.core.instrument.Counter;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Two endpoints joined: bytes from each go to the other until both are done.
 *
 * <p>Back-pressure: when a side's queue passes its high-water mark, the other side stops being read until
 * the queue drains (Netty writability events). End of input: passed on as a half-close where both sides
 * carry it, otherwise both sides close once what is queued is flushed. Each side's callbacks run on its
 * own event loop, so the state shared by the two directions is atomic.
 *
 * <p>Mode: {@code copy} moves bytes through the JVM as buffers; {@code splice} (zero-copy, when asked for
 * and both sides are plain TCP on one epoll event loop) moves them inside the kernel while both directions
 * stream, and hands them back to the copy path at the first end of input, error or close, see
 * {@link KernelLink}. Bytes held before the splice opened are written first in either mode.
 *
 * <p>Bytes are counted once delivered (written to the target's transport), not when queued, and the
 * splice completes once both sides are closed for good: the end closes each side with a lingering close
 * ({@link Endpoint#close()}), so that a side still sending never gets a reset that destroys what it was
 * sent. The result (access log) is taken then.
 */
public final class Splice {

    /** Bytes move through the JVM as buffers. */
    public static final String COPY = "copy";
    /** Bytes move socket to pipe to socket in the kernel. */
    public static final String SPLICE = "splice";
    /** Copy while small messages flow, the kernel path while either direction carries bulk (zero-copy = auto). */
    public static final String AUTO = "auto";

    private static final int A_INPUT_ENDED = 1;
    private static final int B_INPUT_ENDED = 2;
    private static final int FINISHED = 4;

    private final Endpoint a;
    private final Endpoint b;
    private final SpliceOptions options;
    private final ProtocolMetrics metrics;
    private final int zeroCopyChunk;
    private final Pipes pipes;
    /** zero-copy = auto: when to switch; null when this splice copies throughout or splices from the start. */
    private final AutoRule auto;
    private final Promise<SpliceResult> done;
    private final AtomicInteger state = new AtomicInteger();
    private final AtomicLong upstream = new AtomicLong();
    private final AtomicLong downstream = new AtomicLong();
    private final long startNanos = System.nanoTime();
    private volatile long lastActivityNanos = startNanos;
    private volatile ScheduledFuture<?> idleCheck;
    private volatile String mode = COPY;
    private Side up;
    private Side down;
    /** The kernel path, when this splice took it; touched on the one event loop (set before it is started). */
    private volatile KernelLink link;
    /** zero-copy = auto: the pair may still move to the kernel path (on the one event loop). */
    private boolean autoArmed;
    /** Kernel bytes of earlier links of this splice (zero-copy = auto moves back and forth). */
    private volatile long earlierKernelBytes;
    /** The framed kernel path of one direction (a TCP socket into a Wisp stream), when it was taken. */
    private volatile FramedKernelRead framed;
    /** The side that {@link #framed} reads for. */
    private Side framedSide;

    /**
     * {@code zeroCopyChunk} is what one direction of the kernel path moves per turn of the event loop, or 0
     * when this splice must copy; {@code pipes} makes the kernel path's pipes.
     */
    Splice(Endpoint a, Endpoint b, SpliceOptions options, ProtocolMetrics metrics, int zeroCopyChunk, Pipes pipes) {
        this(a, b, options, metrics, zeroCopyChunk, pipes, null);
    }

    /** With {@code auto}, the splice starts copying and takes the kernel path only while it carries bulk. */
    Splice(Endpoint a, Endpoint b, SpliceOptions options, ProtocolMetrics metrics, int zeroCopyChunk, Pipes pipes,
           AutoRule auto) {
        this.a = a;
        this.b = b;
        this.options = options;
        this.metrics = metrics;
        this.zeroCopyChunk = zeroCopyChunk;
        this.pipes = pipes;
        this.auto = zeroCopyChunk > 0 ? auto : null;
        this.done = a.eventLoop().newPromise();
        metrics.spliceStarted();
    }

    /** Opens both sides; with zero-copy asked for, first decides on {@code a}'s event loop whether it can be used. */
    void start() {
        if ((state.get() & FINISHED) != 0) {
            // Aborted while side B was being moved to A's event loop: the abort has closed both.
            return;
        }
        scheduleIdleCheck(options.idleTimeout().toNanos());
        up = new Side(a, b, A_INPUT_ENDED, upstream, metrics.upstreamBytes());
        down = new Side(b, a, B_INPUT_ENDED, downstream, metrics.downstreamBytes());
        if (zeroCopyChunk <= 0) {
            openCopying();
            return;
        }
        EventLoop loop = a.eventLoop();
        if (loop.inEventLoop()) {
            openChoosingMode();
        } else {
            loop.execute(this::openChoosingMode);
        }
    }

    private void openCopying() {
        countMode(COPY);
        a.open(up);
        b.open(down);
    }

    private void openChoosingMode() {
        if ((state.get() & FINISHED) != 0) {
            return;
        }
        String refusal = KernelSplice.refusal(a, b);
        Side framable = refusal == null ? null : framedCandidate();
        if (framable != null) {
            // One direction can splice into the other side's frames: copy until it carries bulk (auto), or now.
            mode = auto != null ? AUTO : SPLICE;
            countMode(mode);
            a.open(up);
            b.open(down);
            if (auto != null) {
                autoArmed = true;
            } else {
                toFramed(framable);
            }
            return;
        }
        if (refusal != null) {
            zeroCopyFallback(refusal);
            openCopying();
            return;
        }
        if (auto != null) {
            // Copy until a direction carries bulk (Side.onData counts the reads); the sides are on one loop.
            mode = AUTO;
            countMode(AUTO);
            a.open(up);
            b.open(down);
            // Armed once both are open: held bytes delivered by open() do not count as bulk reads.
            autoArmed = true;
            return;
        }
        // On the one event loop of both channels from here on.
        ChannelEndpoint ca = (ChannelEndpoint) a;
        ChannelEndpoint cb = (ChannelEndpoint) b;
        link = new KernelLink(ca, cb, up, down, zeroCopyChunk, pipes, this::zeroCopyFallback, this::abort);
        mode = SPLICE;
        countMode(SPLICE);
        // Held bytes go out as ordinary writes; the kernel path starts once they are flushed.
        ca.openPaused(up);
        cb.openPaused(down);
        if ((state.get() & FINISHED) == 0) {
            link.start();
        }
    }

    /**
     * zero-copy = auto: a direction carried bulk. Called on the one event loop from a side's read, after
     * its bytes were queued to the other side: both sides stop reading, and the kernel path starts once
     * what is queued is flushed ({@link KernelLink#start}).
     */
    private void toKernel(Side bulk) {
        if (!autoArmed || (state.get() & FINISHED) != 0) {
            return;
        }
        FramedKernelRead reading = framed;
        if (reading != null && reading.active()) {
            return;
        }
        Side framable = framedCandidate();
        if (framable != null) {
            // Only the direction into the frames can leave the JVM; the other keeps copying.
            if (framable == bulk) {
                toFramed(bulk);
            }
            bulk.bulkRun = 0;
            return;
        }
        KernelLink previous = link;
        if (previous != null && !previous.mayReturn()) {
            autoArmed = false;
            return;
        }
        String refusal = KernelSplice.refusal(a, b);
        if (refusal != null) {
            // An end of input or a close: the copy path finishes the splice.
            autoArmed = false;
            return;
        }
        if (previous != null) {
            earlierKernelBytes += previous.kernelBytes();
        }
        ChannelEndpoint ca = (ChannelEndpoint) a;
        ChannelEndpoint cb = (ChannelEndpoint) b;
        link = new KernelLink(ca, cb, up, down, zeroCopyChunk, pipes, this::zeroCopyFallback, this::abort, auto,
                this::backToCopy);
        switched(SPLICE);
        up.bulkRun = 0;
        down.bulkRun = 0;
        ca.setReading(false);
        cb.setReading(false);
        link.start();
    }

    /** The side whose bytes can go socket to pipe to the other side's frames, or null. On the event loop. */
    private Side framedCandidate() {
        if (FramedKernelRead.eligible(b, a)) {
            return down;
        }
        return FramedKernelRead.eligible(a, b) ? up : null;
    }

    /**
     * Moves one direction's reading to the framed kernel path: what the copy path queued goes out first, then
     * every byte goes socket to pipe to frame. Stays on the copy path when the target cannot take it now.
     */
    private void toFramed(Side side) {
        if ((state.get() & FINISHED) != 0) {
            return;
        }
        FramedSpliceTarget target = (FramedSpliceTarget) side.to;
        ChannelEndpoint source = (ChannelEndpoint) side.from;
        target.flush();
        if (!target.takesSplicedFrames()) {
            return;
        }
        source.setReading(false);
        FramedKernelRead previous = framed;
        FramedKernelRead started = FramedKernelRead.start(source, target, pipes, zeroCopyChunk, side,
                () -> side.handedBack(null));
        if (started == null) {
            zeroCopyFallback("pipe");
            side.handedBack(null);
            return;
        }
        if (previous != null) {
            earlierKernelBytes += previous.moved();
        }
        framedSide = side;
        framed = started;
        switched(SPLICE);
    }

    /** zero-copy = auto: the kernel path handed the pair back because it turned interactive. */
    private void backToCopy() {
        switched(COPY);
    }

    private void switched(String to) {
        metrics.counter("isthmus.zero.copy.switches", "to", to,
                "zero-copy = auto: links moved to the kernel path (to=splice, bulk) or back (to=copy, interactive)")
                .increment();
    }

    private void countMode(String used) {
        metrics.counter("isthmus.splices", "mode", used,
                "Splices started, by how bytes move: copy (through the JVM) or splice (in the kernel)").increment();
    }

    private void zeroCopyFallback(String reason) {
        metrics.counter("isthmus.zero.copy.fallbacks", "reason", reason,
                "Splices that asked for zero-copy but copied (some or all bytes), by reason").increment();
    }

    public Endpoint a() {
        return a;
    }

    public Endpoint b() {
        return b;
    }

    public SpliceOptions options() {
        return options;
    }

    /**
     * {@link #COPY}, {@link #SPLICE} or {@link #AUTO}: how bytes move (decided when the splice opens, so copy
     * until then); {@link #splicingInKernel()} says where an auto splice is right now.
     */
    public String mode() {
        return mode;
    }

    /** Completes when both sides are closed (after their lingering closes). */
    public Future<SpliceResult> completion() {
        return done;
    }

    public long upstreamBytes() {
        return upstream.get();
    }

    public long downstreamBytes() {
        return downstream.get();
    }

    /** Bytes (both ways) that moved socket to pipe to socket, never through the JVM. */
    long kernelBytes() {
        KernelLink l = link;
        FramedKernelRead f = framed;
        return earlierKernelBytes + (l == null ? 0 : l.kernelBytes()) + (f == null ? 0 : f.moved());
    }

    /** Whether the kernel path serves both sockets right now (set up, and not yet handed back). */
    boolean splicingInKernel() {
        KernelLink l = link;
        FramedKernelRead f = framed;
        return (l != null && l.splicing()) || (f != null && f.active());
    }

    /** Closes both sides now (drain deadline), also sides still in their lingering close. */
    public void abort() {
        if ((state.get() & FINISHED) != 0) {
            a.abort();
            b.abort();
            return;
        }
        finish("aborted", null, true);
    }

    private void scheduleIdleCheck(long delayNanos) {
        idleCheck = a.eventLoop().schedule(this::checkIdle, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void checkIdle() {
        if ((state.get() & FINISHED) != 0) {
            return;
        }
        long idle = System.nanoTime() - lastActivityNanos;
        long limit = options.idleTimeout().toNanos();
        if (idle >= limit) {
            finish("idle", null, true);
        } else {
            scheduleIdleCheck(limit - idle);
        }
    }

    private void inputEnded(int bit, Endpoint to) {
        int now = state.updateAndGet(s -> s | bit);
        if ((now & FINISHED) != 0) {
            return;
        }
        if ((now & (A_INPUT_ENDED | B_INPUT_ENDED)) == (A_INPUT_ENDED | B_INPUT_ENDED)) {
            finish("completed", null, false);
        } else if (options.halfClose() && a.supportsHalfClose() && b.supportsHalfClose()) {
            to.shutdownOutput();
        } else {
            finish("completed", null, false);
        }
    }

    private void finish(String outcome, Throwable cause, boolean abort) {
        int before = state.getAndUpdate(s -> s | FINISHED);
        if ((before & FINISHED) != 0) {
            return;
        }
        ScheduledFuture<?> check = idleCheck;
        if (check != null) {
            check.cancel(false);
        }
        FramedKernelRead reading = framed;
        if (reading != null) {
            // Frames already queued still go out; nothing more is read through the pipe.
            reading.stop();
        }
        a.spliceEnding(outcome, cause);
        b.spliceEnding(outcome, cause);
        if (abort) {
            a.abort();
            b.abort();
        } else {
            a.close();
            b.close();
        }
        // Bytes still in flight at the end are counted as they are delivered: the result waits for both closes.
        a.closeFuture().addListener(x -> b.closeFuture().addListener(y -> {
            long nanos = System.nanoTime() - startNanos;
            metrics.spliceEnded(nanos);
            done.trySuccess(new SpliceResult(outcome, upstream.get(), downstream.get(), Duration.ofNanos(nanos), cause));
        }));
    }

    /** One endpoint's events: its input flows to {@code to}, its writability gates reading from {@code to}. */
    private final class Side implements EndpointSink, KernelLink.DirectionSink {
        private final Endpoint from;
        private final Endpoint to;
        private final int inputEndedBit;
        private final AtomicLong moved;
        private final Counter counter;
        /** Counts bytes once the target's transport has taken them. */
        private final java.util.function.IntConsumer delivered;
        /** zero-copy = auto: bulk reads in a row from {@code from} (on the one event loop). */
        int bulkRun;

        Side(Endpoint from, Endpoint to, int inputEndedBit, AtomicLong moved, Counter counter) {
            this.from = from;
            this.to = to;
            this.inputEndedBit = inputEndedBit;
            this.moved = moved;
            this.counter = counter;
            this.delivered = n -> {
                moved.addAndGet(n);
                counter.increment(n);
            };
        }

        @Override
        public void took(int n) {
            lastActivityNanos = System.nanoTime();
        }

        @Override
        public void spliced(int n) {
            delivered.accept(n);
        }

        @Override
        public void handedBack(ByteBuf leftover) {
            if ((state.get() & FINISHED) != 0) {
                if (leftover != null) {
                    leftover.release();
                }
                return;
            }
            if (leftover != null) {
                to.write(leftover, delivered);
                to.flush();
            }
            from.setReading(to.isWritable());
        }

        private boolean kernelPaced() {
            KernelLink l = link;
            FramedKernelRead f = framed;
            return (l != null && l.pacesReading()) || (f != null && f.active() && framedSide == this);
        }

        @Override
        public void onData(ByteBuf data) {
            if ((state.get() & FINISHED) != 0) {
                data.release();
                return;
            }
            lastActivityNanos = System.nanoTime();
            boolean bulk = autoArmed && data.readableBytes() >= auto.bulkReadSize();
            to.write(data, delivered);
            if (autoArmed) {
                if (!bulk) {
                    bulkRun = 0;
                } else if (++bulkRun >= auto.bulkReads() && !kernelPaced()) {
                    // Paces reading from here on when it starts; when refused, the copy path's check below does.
                    toKernel(this);
                }
            }
            if (!to.isWritable() && !kernelPaced()) {
                to.flush();
                from.setReading(false);
                // The peer may have drained between the check and the pause (another event loop).
                if (to.isWritable()) {
                    from.setReading(true);
                }
            }
        }

        @Override
        public void onReadComplete() {
            to.flush();
        }

        @Override
        public void onInputShutdown() {
            to.flush();
            inputEnded(inputEndedBit, to);
        }

        @Override
        public void onWritabilityChanged(boolean writable) {
            // Gates the other direction (reading from the peer into this side), unless the kernel paces it.
            Side reverse = this == up ? down : up;
            if ((state.get() & FINISHED) == 0 && (reverse == null || !reverse.kernelPaced())) {
                to.setReading(writable);
            }
        }

        @Override
        public void onClosed(Throwable cause) {
            finish(cause == null ? "closed" : "reset", cause, false);
        }
    }
}
