package io.isthmus.distribution.edge;

import io.isthmus.core.Gateway;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/** Process and gateway figures the edge tests compare and record: heap, descriptors, live links. */
final class Figures {

    private Figures() {
    }

    /** Open file descriptors of this JVM (Linux: /proc/self/fd). */
    static long descriptors() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        } catch (IOException e) {
            return -1;
        }
    }

    static long heapUsed() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Heap in use after a few collections. */
    static long heapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return heapUsed();
    }

    /** The sum over protocols of a gauge (e.g. {@code isthmus.connections.active}). */
    static double gaugeSum(Gateway g, String name) {
        double sum = 0;
        for (Meter m : g.metrics().registry().find(name).meters()) {
            if (m instanceof Gauge gauge) {
                sum += gauge.value();
            }
        }
        return sum;
    }

    /** The sum of a counter over the tags given as key, value pairs (and any other tags). */
    static double counter(Gateway g, String name, String... tags) {
        var search = g.metrics().registry().find(name);
        if (tags.length > 0) {
            search = search.tags(tags);
        }
        return search.counters().stream().mapToDouble(c -> c.count()).sum();
    }

    /** Samples heap and descriptors until stopped, keeping the peaks. */
    static final class Peaks implements AutoCloseable {
        final AtomicLong heap = new AtomicLong();
        final AtomicLong fds = new AtomicLong();
        private final Thread sampler;
        private volatile boolean stop;

        Peaks() {
            sampler = new Thread(() -> {
                for (int i = 0; i < 100_000 && !stop; i++) {
                    heap.accumulateAndGet(heapUsed(), Math::max);
                    fds.accumulateAndGet(descriptors(), Math::max);
                    java.util.concurrent.locks.LockSupport.parkNanos(100_000_000L);
                }
            }, "edge-peaks");
            sampler.setDaemon(true);
            sampler.start();
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            sampler.join(5_000);
        }
    }

    /** Appends {@code text} to {@code target/reliability/<file>} for the record in docs/RELIABILITY.md. */
    static void record(String file, String text) {
        try {
            Path dir = Path.of("target", "reliability");
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(file), text + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
    }
}
