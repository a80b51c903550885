package io.isthmus.core.splice;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Every case of {@link SpliceTest} again, with both sides moving bytes through a kernel pipe: integrity both
 * ways with half-close, bytes pending at a close, idle timeout, resets, a slow reader, live byte counts.
 * Each pair must really have used the kernel path ({@code isthmus_splices_total{mode="splice"}}).
 */
class ZeroCopySpliceTest extends SpliceTest {

    @Override
    @BeforeAll
    void start() {
        assumeTrue(Epoll.isAvailable(), "zero-copy needs the epoll transport");
        super.start();
    }

    @Override
    String gatewayConfig() {
        return """
                isthmus.logging.access-log = true
                isthmus.transport = epoll
                isthmus.splice.zero-copy = true
                isthmus.splice.max-read-size = 64k
                """;
    }

    @Override
    String pairQuery() {
        return "zerocopy=true";
    }

    @Override
    String expectedMode() {
        return Splice.SPLICE;
    }
}
