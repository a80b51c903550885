package io.isthmus.core.splice;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the pipes of kernel links ({@code isthmus.splice.pipe-size}, {@code pipe-budget}). Each pipe is
 * grown to the configured size while the grown pipes together stay within the budget; past it, or where
 * the kernel refuses, a pipe keeps the kernel's 64 KiB and still works.
 *
 * <p>Why a budget: the kernel charges pipe capacity to the user ({@code fs.pipe-user-pages-soft}, 64 MiB by
 * default), and once a user is past that every new pipe of theirs gets a single page. Grown pipes must not
 * spend the allowance that ordinary pipes need.
 */
final class Pipes {

    /** What {@code pipe(2)} gives without asking: 16 pages. */
    static final int KERNEL_DEFAULT = 64 * 1024;

    private static final Logger LOG = LoggerFactory.getLogger(Pipes.class);

    private final int size;
    private final long budget;
    private final AtomicLong grown = new AtomicLong();
    private final Counter enlarged;
    private final Counter overBudget;
    private final Counter refused;
    private final Counter asConfigured;

    /** {@code size} at or below {@link #KERNEL_DEFAULT} never asks the kernel for more. */
    Pipes(int size, long budget, MeterRegistry registry) {
        String unavailable = size > KERNEL_DEFAULT ? PipeSizeCall.unavailable() : null;
        if (unavailable != null) {
            LOG.info("zero-copy pipes keep the kernel's 64 KiB ({}); isthmus.splice.pipe-size has no effect", unavailable);
        }
        this.size = unavailable == null ? size : KERNEL_DEFAULT;
        this.budget = budget;
        String description = "Pipes made for zero-copy links, by capacity: enlarged to isthmus.splice.pipe-size, or the "
                + "kernel's 64 KiB as configured, because the pipe-budget was spent, or because the kernel refused";
        this.enlarged = outcome(registry, "enlarged", description);
        this.overBudget = outcome(registry, "budget-spent", description);
        this.refused = outcome(registry, "refused", description);
        this.asConfigured = outcome(registry, "default", description);
        Gauge.builder("isthmus.splice.pipe.enlarged", grown, AtomicLong::get).baseUnit("bytes")
                .description("Capacity of the enlarged zero-copy pipes alive now (counts against isthmus.splice.pipe-budget)")
                .register(registry);
    }

    private static Counter outcome(MeterRegistry registry, String outcome, String description) {
        return Counter.builder("isthmus.splice.pipes").tag("capacity", outcome).description(description).register(registry);
    }

    /** A new pipe, or null when none can be made (descriptor table full). */
    Pipe open() {
        FileDescriptor[] ends;
        try {
            ends = FileDescriptor.pipe();
        } catch (IOException e) {
            return null;
        }
        if (size <= KERNEL_DEFAULT) {
            asConfigured.increment();
            return new Pipe(ends, 0);
        }
        if (grown.addAndGet(size) > budget) {
            grown.addAndGet(-size);
            overBudget.increment();
            return new Pipe(ends, 0);
        }
        try {
            int given = PipeSizeCall.resize(ends[1], size);
            // The kernel rounds up to a power-of-two count of pages; charge what it gave.
            grown.addAndGet(given - size);
            enlarged.increment();
            return new Pipe(ends, given);
        } catch (IOException e) {
            grown.addAndGet(-size);
            refused.increment();
            return new Pipe(ends, 0);
        }
    }

    /** One pipe: [0] is the read end, [1] the write end. */
    final class Pipe {
        private final FileDescriptor[] ends;
        private int charged;

        private Pipe(FileDescriptor[] ends, int charged) {
            this.ends = ends;
            this.charged = charged;
        }

        FileDescriptor readEnd() {
            return ends[0];
        }

        FileDescriptor writeEnd() {
            return ends[1];
        }

        /** Closes both ends and gives an enlarged pipe's capacity back to the budget; once only. */
        void close() {
            for (FileDescriptor end : ends) {
                try {
                    end.close();
                } catch (IOException ignored) {
                    // Closing a pipe end fails only if it is already closed.
                }
            }
            grown.addAndGet(-charged);
            charged = 0;
        }
    }
}
