package io.isthmus.rawsocket;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.function.Predicate;

/**
 * A download read frame by frame from the client's side, each wait bounded: it counts the download's bytes and
 * keeps up to a limit of them (an endless target would fill the heap). A subclass reads its protocol's frames.
 *
 * @param <F> the protocol's frame
 */
public abstract class FramedDownload<F> {

    private static final Duration PATIENCE = Duration.ofSeconds(30);

    private final ByteArrayOutputStream got;
    private final long keepAtMost;
    private long count;

    /** Keeps bytes while fewer than {@code keepAtMost} are kept; {@code expected} sizes the first buffer. */
    protected FramedDownload(int expected, long keepAtMost) {
        this.got = new ByteArrayOutputStream(keepAtMost == 0 ? 32 : expected);
        this.keepAtMost = keepAtMost;
    }

    /** Reads the next frame, handing the download's bytes in it to {@link #received}. */
    protected abstract F next() throws IOException;

    /** Whether {@code f} closes the download. */
    protected abstract boolean isClose(F f);

    /** Counts (and keeps, below the limit) bytes of the download. */
    protected final void received(byte[] b, int off, int len) {
        count += len;
        if (got.size() < keepAtMost) {
            got.write(b, off, len);
        }
    }

    /** The download's bytes so far (kept or not). */
    protected final long count() {
        return count;
    }

    /** The bytes kept. */
    public final byte[] bytes() {
        return got.toByteArray();
    }

    /** Reads until {@code n} bytes came; fails on the download's close first. */
    public final void readUntil(int n) throws IOException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (count < n) {
            assertThat(System.nanoTime()).as("stuck at %d bytes", count).isLessThan(deadline);
            assertThat(isClose(next())).as("closed at %d bytes", count).isFalse();
        }
    }

    /** Reads to the first frame {@code end} accepts ({@code what} names it in a failure) and returns it. */
    protected final F readTo(Predicate<F> end, String what) throws IOException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        for (;;) {
            assertThat(System.nanoTime()).as("no %s at %d bytes", what, count).isLessThan(deadline);
            F f = next();
            if (end.test(f)) {
                return f;
            }
        }
    }
}
