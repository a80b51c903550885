package io.isthmus.core.splice;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link SpliceTest} on epoll with pairs that may take the kernel path ({@code zerocopy=true}): what the
 * zero-copy cases ({@code zero-copy = true} and {@code auto}) share.
 */
abstract class KernelPathSpliceTest extends SpliceTest {

    static final long MIB = 1024 * 1024;

    @Override
    @BeforeAll
    void start() {
        assumeTrue(Epoll.isAvailable(), "the kernel path needs the epoll transport");
        super.start();
    }

    @Override
    String pairQuery() {
        return "zerocopy=true";
    }

    /** The probe's live splice (one pair at a time). */
    Splice theSplice() {
        return gateway.splices().liveSplices().stream().filter(s -> s.options().protocol().equals("probe"))
                .findFirst().orElseThrow();
    }
}
