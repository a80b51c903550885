package io.isthmus.core.splice;

import io.isthmus.core.metrics.ProtocolMetrics;
import io.micrometer.core.instrument.Counter;
import io.netty.buffer.ByteBuf;
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
 */
public final class Splice {

    private static final int A_INPUT_ENDED = 1;
    private static final int B_INPUT_ENDED = 2;
    private static final int FINISHED = 4;

    private final Endpoint a;
    private final Endpoint b;
    private final SpliceOptions options;
    private final ProtocolMetrics metrics;
    private final Promise<SpliceResult> done;
    private final AtomicInteger state = new AtomicInteger();
    private final AtomicLong upstream = new AtomicLong();
    private final AtomicLong downstream = new AtomicLong();
    private final long startNanos = System.nanoTime();
    private volatile long lastActivityNanos = startNanos;
    private volatile ScheduledFuture<?> idleCheck;

    Splice(Endpoint a, Endpoint b, SpliceOptions options, ProtocolMetrics metrics) {
        this.a = a;
        this.b = b;
        this.options = options;
        this.metrics = metrics;
        this.done = a.eventLoop().newPromise();
    }

    void start() {
        metrics.spliceStarted();
        scheduleIdleCheck(options.idleTimeout().toNanos());
        a.open(new Side(a, b, A_INPUT_ENDED, upstream, metrics.upstreamBytes()));
        b.open(new Side(b, a, B_INPUT_ENDED, downstream, metrics.downstreamBytes()));
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

    /** Completes when both sides are closed or closing. */
    public Future<SpliceResult> completion() {
        return done;
    }

    public long upstreamBytes() {
        return upstream.get();
    }

    public long downstreamBytes() {
        return downstream.get();
    }

    /** Closes both sides now (drain deadline). */
    public void abort() {
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
        if (abort) {
            a.abort();
            b.abort();
        } else {
            a.close();
            b.close();
        }
        long nanos = System.nanoTime() - startNanos;
        metrics.spliceEnded(nanos);
        done.trySuccess(new SpliceResult(outcome, upstream.get(), downstream.get(), Duration.ofNanos(nanos), cause));
    }

    /** One endpoint's events: its input flows to {@code to}, its writability gates reading from {@code to}. */
    private final class Side implements EndpointSink {
        private final Endpoint from;
        private final Endpoint to;
        private final int inputEndedBit;
        private final AtomicLong moved;
        private final Counter counter;

        Side(Endpoint from, Endpoint to, int inputEndedBit, AtomicLong moved, Counter counter) {
            this.from = from;
            this.to = to;
            this.inputEndedBit = inputEndedBit;
            this.moved = moved;
            this.counter = counter;
        }

        @Override
        public void onData(ByteBuf data) {
            int n = data.readableBytes();
            if ((state.get() & FINISHED) != 0) {
                data.release();
                return;
            }
            moved.addAndGet(n);
            counter.increment(n);
            lastActivityNanos = System.nanoTime();
            to.write(data);
            if (!to.isWritable()) {
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
            if ((state.get() & FINISHED) == 0) {
                to.setReading(writable);
            }
        }

        @Override
        public void onClosed(Throwable cause) {
            finish(cause == null ? "closed" : "reset", cause, false);
        }
    }
}
