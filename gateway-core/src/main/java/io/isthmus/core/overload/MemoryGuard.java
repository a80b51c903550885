package io.isthmus.core.overload;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Memory-overload protection: samples heap and direct memory on a timer (never per request) and, above
 * {@link MemoryLimits}' high marks, refuses new links, waits, streams and requests until both readings are
 * back below the low marks. Live links are never touched: refusing new work is what lets them finish.
 *
 * <p>Meters: {@code isthmus_memory_pressure} (0/1), {@code isthmus_memory_heap_ratio},
 * {@code isthmus_memory_direct_ratio} (the last sample), {@code isthmus_memory_pressure_episodes_total},
 * {@code isthmus_overload_refusals_total{protocol,work}}.
 */
public final class MemoryGuard implements Admission {

    private static final Logger LOG = LoggerFactory.getLogger(MemoryGuard.class);

    private final MemoryLimits limits;
    private final MeterRegistry registry;
    private final ConcurrentMap<String, Counter> refusals = new ConcurrentHashMap<>();
    private final Counter episodes;
    private volatile MemoryProbe probe;
    private volatile MemoryReading last = new MemoryReading(0, 0, 0, 0);
    private volatile boolean pressure;
    private ScheduledFuture<?> timer;

    public MemoryGuard(MemoryLimits limits, MemoryProbe probe, MeterRegistry registry) {
        this.limits = limits;
        this.probe = probe;
        this.registry = registry;
        Gauge.builder("isthmus.memory.pressure", this, g -> g.pressure ? 1 : 0)
                .description("1 while memory is above its high mark and new work is refused").register(registry);
        Gauge.builder("isthmus.memory.heap.ratio", this, g -> g.last.heapRatio())
                .description("Heap held after the last collection, as a share of the maximum heap (last sample)")
                .register(registry);
        Gauge.builder("isthmus.memory.direct.ratio", this, g -> g.last.directRatio())
                .description("Direct memory in use as a share of the direct-memory limit (last sample)").register(registry);
        episodes = Counter.builder("isthmus.memory.pressure.episodes")
                .description("Times memory crossed a high mark and the gateway began refusing new work").register(registry);
    }

    /** Samples now and then every {@code sample-interval} on {@code executor} (a cheap, non-blocking task). */
    public synchronized void start(ScheduledExecutorService executor) {
        if (!limits.enabled() || timer != null) {
            return;
        }
        sample();
        long every = limits.sampleInterval().toNanos();
        timer = executor.scheduleAtFixedRate(this::sampleQuietly, every, every, TimeUnit.NANOSECONDS);
    }

    public synchronized void stop() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    /** Takes one reading and moves between normal and pressure with hysteresis. */
    public synchronized void sample() {
        MemoryReading r = probe.read();
        last = r;
        if (!limits.enabled()) {
            return;
        }
        if (!pressure && (r.heapRatio() >= limits.heapHighRatio() || r.directRatio() >= limits.directHighRatio())) {
            pressure = true;
            episodes.increment();
            LOG.warn("memory pressure: heap {}% of max, direct {}% of limit; refusing new links, waits and streams "
                    + "until heap < {}% and direct < {}% (isthmus.limits.memory)", pct(r.heapRatio()), pct(r.directRatio()),
                    pct(limits.heapLowRatio()), pct(limits.directLowRatio()));
        } else if (pressure && r.heapRatio() < limits.heapLowRatio() && r.directRatio() < limits.directLowRatio()) {
            pressure = false;
            LOG.info("memory pressure over: heap {}%, direct {}%; taking new work again", pct(r.heapRatio()), pct(r.directRatio()));
        }
    }

    private void sampleQuietly() {
        try {
            sample();
        } catch (RuntimeException e) {
            // A failing probe must not cancel the timer (a scheduled task that throws never runs again).
            LOG.warn("memory sample failed: {}", e.toString());
        }
    }

    private static long pct(double ratio) {
        return Math.round(ratio * 100);
    }

    public boolean underPressure() {
        return pressure;
    }

    public MemoryReading lastReading() {
        return last;
    }

    public MemoryLimits limits() {
        return limits;
    }

    /**
     * Replaces where readings come from, e.g. a test forcing pressure; takes effect at the next sample
     * (call {@link #sample()} to apply it at once).
     */
    public void useProbe(MemoryProbe probe) {
        this.probe = probe;
    }

    @Override
    public boolean admit(String protocol, Work work) {
        if (!pressure) {
            return true;
        }
        refusals.computeIfAbsent(protocol + '\n' + work.label(), k -> Counter.builder("isthmus.overload.refusals")
                .tag("protocol", protocol).tag("work", work.label())
                .description("New work refused because memory was above its high mark").register(registry)).increment();
        return false;
    }

    /** Refusals counted so far for {@code protocol} and {@code work} (tests, the status page). */
    public double refusals(String protocol, Work work) {
        Counter c = refusals.get(protocol + '\n' + work.label());
        return c == null ? 0 : c.count();
    }
}
