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
 * Makes the pipes of kernel links ({@code isthmus.splice.pipe-size}, {@code pipe-budget}). A pipe starts
 * at the kernel's 64 KiB and is grown to the configured size the first time it fills up, that is once its
 * direction carries bulk, while the grown pipes together stay within the budget; past it, or where the
 * kernel refuses, the pipe keeps 64 KiB and still works. Interactive pairs, whose messages never fill a
 * pipe, spend none of the budget.
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
    private final Counter made;
    private final Counter enlarged;
    private final Counter overBudget;
    private final Counter refused;

    /** {@code size} at or below {@link #KERNEL_DEFAULT} never asks the kernel for more. */
    Pipes(int size, long budget, MeterRegistry registry) {
        String unavailable = size > KERNEL_DEFAULT ? FcntlCalls.unavailable() : null;
        if (unavailable != null) {
            LOG.info("zero-copy pipes keep the kernel's 64 KiB ({}); isthmus.splice.pipe-size has no effect", unavailable);
        }
        this.size = unavailable == null ? size : KERNEL_DEFAULT;
        this.budget = budget;
        this.made = Counter.builder("isthmus.splice.pipes").description("Pipes made for zero-copy links (two descriptors each)")
                .register(registry);
        String description = "Pipes that filled up and were to grow to isthmus.splice.pipe-size: enlarged, or kept at "
                + "64 KiB because the pipe-budget was spent or the kernel refused";
        this.enlarged = growth(registry, "enlarged", description);
        this.overBudget = growth(registry, "budget-spent", description);
        this.refused = growth(registry, "refused", description);
        Gauge.builder("isthmus.splice.pipe.enlarged", grown, AtomicLong::get).baseUnit("bytes")
                .description("Capacity of the enlarged zero-copy pipes alive now (counts against isthmus.splice.pipe-budget)")
                .register(registry);
    }

    private static Counter growth(MeterRegistry registry, String outcome, String description) {
        return Counter.builder("isthmus.splice.pipe.growths").tag("outcome", outcome).description(description).register(registry);
    }

    /** A new pipe of the kernel's size, or null when none can be made (descriptor table full). */
    Pipe open() {
        try {
            Pipe pipe = new Pipe(FileDescriptor.pipe());
            made.increment();
            return pipe;
        } catch (IOException e) {
            return null;
        }
    }

    /** One pipe: [0] is the read end, [1] the write end. Used on one event loop only. */
    final class Pipe {
        private final FileDescriptor[] ends;
        private boolean growthTried;
        private int charged;

        private Pipe(FileDescriptor[] ends) {
            this.ends = ends;
        }

        FileDescriptor readEnd() {
            return ends[0];
        }

        FileDescriptor writeEnd() {
            return ends[1];
        }

        /** Bytes the pipe holds at most: the kernel's 64 KiB until it grew. */
        int capacity() {
            return charged > 0 ? charged : KERNEL_DEFAULT;
        }

        /**
         * Called with {@code held} bytes in the pipe: the first time it holds the kernel's 64 KiB (it is full,
         * its direction carries bulk), tries once to grow it within the budget. Growing keeps the content.
         */
        void filled(int held) {
            if (growthTried || held < KERNEL_DEFAULT || size <= KERNEL_DEFAULT) {
                return;
            }
            growthTried = true;
            if (grown.addAndGet(size) > budget) {
                grown.addAndGet(-size);
                overBudget.increment();
                return;
            }
            try {
                int given = FcntlCalls.resize(ends[1], size);
                // The kernel rounds up to a power-of-two count of pages; charge what it gave.
                grown.addAndGet(given - size);
                charged = given;
                enlarged.increment();
            } catch (IOException e) {
                grown.addAndGet(-size);
                refused.increment();
            }
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
