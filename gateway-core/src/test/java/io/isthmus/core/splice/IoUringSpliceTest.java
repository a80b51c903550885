package io.isthmus.core.splice;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.uring.IoUring;
import org.junit.jupiter.api.BeforeAll;

/**
 * Every case of {@link SpliceTest} on io_uring where the kernel has it. Its channels are not moved between
 * event loops (see {@code ChannelEndpoint.moveTo}), so this also covers splices across two loops.
 */
class IoUringSpliceTest extends SpliceTest {

    @Override
    @BeforeAll
    void start() {
        assumeTrue(IoUring.isAvailable(), "io_uring is not available here");
        super.start();
    }

    @Override
    String gatewayConfig() {
        return """
                isthmus.logging.access-log = true
                isthmus.transport = io_uring
                """;
    }
}
