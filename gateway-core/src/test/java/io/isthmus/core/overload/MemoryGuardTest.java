package io.isthmus.core.overload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isthmus.core.config.ConfigValueException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBufAllocator;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class MemoryGuardTest {

    private static final MemoryLimits LIMITS = new MemoryLimits(true, "85%", "75%", "80%", "60%", Duration.ofMillis(500));

    private final AtomicReference<MemoryReading> reading = new AtomicReference<>(MemoryReading.ofRatios(0.1, 0.1));
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private MemoryGuard guard(MemoryLimits limits) {
        return new MemoryGuard(limits, reading::get, registry);
    }

    private void read(MemoryGuard guard, double heap, double direct) {
        reading.set(MemoryReading.ofRatios(heap, direct));
        guard.sample();
    }

    @Test
    void heapAboveItsHighMarkRefusesUntilBothAreBelowTheirLowMarks() {
        MemoryGuard guard = guard(LIMITS);
        read(guard, 0.84, 0.1);
        assertThat(guard.underPressure()).isFalse();
        assertThat(guard.admit("webroute", Admission.Work.WAIT)).isTrue();
        read(guard, 0.85, 0.1);
        assertThat(guard.underPressure()).isTrue();
        assertThat(guard.admit("webroute", Admission.Work.WAIT)).isFalse();
        assertThat(guard.admit("webroute", Admission.Work.WAIT)).isFalse();
        assertThat(guard.admit("wisp", Admission.Work.STREAM)).isFalse();
        // Hysteresis: between the marks the state holds.
        read(guard, 0.80, 0.1);
        assertThat(guard.underPressure()).isTrue();
        read(guard, 0.74, 0.1);
        assertThat(guard.underPressure()).isFalse();
        assertThat(guard.admit("webroute", Admission.Work.WAIT)).isTrue();
        assertThat(guard.refusals("webroute", Admission.Work.WAIT)).isEqualTo(2);
        assertThat(guard.refusals("wisp", Admission.Work.STREAM)).isEqualTo(1);
        assertThat(registry.get("isthmus.overload.refusals").tag("protocol", "webroute").tag("work", "wait").counter().count())
                .isEqualTo(2);
        assertThat(registry.get("isthmus.memory.pressure.episodes").counter().count()).isEqualTo(1);
    }

    @Test
    void directMemoryAloneCausesPressureAndMustFallBelowItsOwnLowMark() {
        MemoryGuard guard = guard(LIMITS);
        read(guard, 0.1, 0.8);
        assertThat(guard.underPressure()).isTrue();
        assertThat(registry.get("isthmus.memory.pressure").gauge().value()).isEqualTo(1);
        assertThat(registry.get("isthmus.memory.direct.ratio").gauge().value()).isEqualTo(0.8);
        read(guard, 0.1, 0.61);
        assertThat(guard.underPressure()).isTrue();
        // Heap low is not enough while direct stays between its marks.
        read(guard, 0.7, 0.59);
        assertThat(guard.underPressure()).isFalse();
        assertThat(registry.get("isthmus.memory.pressure").gauge().value()).isEqualTo(0);
    }

    @Test
    void disabledNeverRefusesButStillReportsTheReading() {
        MemoryGuard guard = guard(new MemoryLimits(false, "85%", "75%", "85%", "75%", Duration.ofMillis(500)));
        read(guard, 0.99, 0.99);
        assertThat(guard.underPressure()).isFalse();
        assertThat(guard.admit("bare", Admission.Work.REQUEST)).isTrue();
        assertThat(guard.lastReading().heapRatio()).isEqualTo(0.99);
    }

    @Test
    void aTestProbeReplacesTheReadingSource() {
        MemoryGuard guard = guard(LIMITS);
        guard.useProbe(() -> MemoryReading.ofRatios(0.99, 0));
        guard.sample();
        assertThat(guard.underPressure()).isTrue();
    }

    @Test
    void percentagesAreValidated() {
        assertThatThrownBy(() -> new MemoryLimits(true, "0.85", "75%", "85%", "75%", Duration.ofSeconds(1)))
                .isInstanceOf(ConfigValueException.class).hasMessageContaining("percentage")
                .extracting(e -> ((ConfigValueException) e).key()).isEqualTo("heap-high");
        assertThatThrownBy(() -> new MemoryLimits(true, "85%", "90%", "85%", "75%", Duration.ofSeconds(1)))
                .hasMessageContaining("must not exceed heap-high");
        assertThatThrownBy(() -> new MemoryLimits(true, "85%", "75%", "101%", "75%", Duration.ofSeconds(1)))
                .hasMessageContaining("at most 100%");
        assertThatThrownBy(() -> new MemoryLimits(true, "85%", "75%", "85%", "75%", Duration.ofMillis(1)))
                .hasMessageContaining("between 10ms and 60s");
        assertThat(new MemoryLimits(true, "0.5%", "0.25%", "85%", "75%", Duration.ofSeconds(1)).heapHighRatio()).isEqualTo(0.005);
    }

    @Test
    void realDirectAllocationsRaiseAndReleasingThemEndsThePressure() {
        JvmMemoryProbe probe = new JvmMemoryProbe(ByteBufAllocator.DEFAULT);
        MemoryReading before = probe.read();
        long chunk = 64L << 20;
        // Marks just above the direct memory in use now: 64 MiB more crosses the high one.
        MemoryGuard guard = new MemoryGuard(new MemoryLimits(true, "100%", "99%",
                percent(before.directUsed() + chunk / 2, before.directMax()),
                percent(before.directUsed() + chunk / 4, before.directMax()), Duration.ofMillis(500)), probe, registry);
        guard.sample();
        assertThat(guard.underPressure()).isFalse();
        io.netty.buffer.ByteBuf big = io.netty.buffer.Unpooled.directBuffer((int) chunk);
        try {
            guard.sample();
            assertThat(guard.lastReading().directUsed() - before.directUsed()).isGreaterThanOrEqualTo(chunk - (1 << 20));
            assertThat(guard.underPressure()).isTrue();
            assertThat(guard.admit("bare", Admission.Work.REQUEST)).isFalse();
        } finally {
            big.release();
        }
        guard.sample();
        assertThat(guard.underPressure()).isFalse();
    }

    private static String percent(long used, long max) {
        return String.format(java.util.Locale.ROOT, "%.6f%%", 100.0 * used / max);
    }

    @Test
    void theJvmProbeReadsPlausibleFigures() {
        MemoryReading r = new JvmMemoryProbe(ByteBufAllocator.DEFAULT).read();
        assertThat(r.heapMax()).isPositive();
        assertThat(r.heapUsed()).isPositive().isLessThanOrEqualTo(r.heapMax());
        assertThat(r.directMax()).isPositive();
        assertThat(r.directUsed()).isNotNegative();
        assertThat(r.heapRatio()).isBetween(0.0, 1.0);
    }
}
