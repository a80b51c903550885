package io.isthmus.core.splice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.ProbePairs;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import io.netty.channel.Channel;
import io.netty.channel.epoll.Epoll;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A gateway shutting down while a pair is on the kernel path (its channels deregistered from Netty): the
 * drain deadline aborts the splice, which hands both channels back first, so both close through their
 * pipelines and both clients see the close.
 */
class ZeroCopyShutdownTest {

    @Test
    void theDrainDeadlineClosesASplicingPairProperly() throws Exception {
        assumeTrue(Epoll.isAvailable(), "zero-copy needs epoll");
        Gateway gateway = TestGateways.start("""
                isthmus.transport = epoll
                isthmus.splice.zero-copy = true
                isthmus.shutdown.drain-timeout = 300ms
                """);
        try (ProbePairs.Linked pair = ProbePairs.link(gateway, "?zerocopy=true")) {
            RawClient a = pair.a();
            RawClient b = pair.b();
            Splice splice = pair.splice();
            await().atMost(Duration.ofSeconds(5)).until(splice::splicingInKernel);
            a.send("over the kernel path");
            assertThat(new String(b.readExactly(20))).isEqualTo("over the kernel path");
            assertThat(splice.kernelBytes()).isEqualTo(20);
            Channel ca = ((ChannelEndpoint) splice.a()).channel();
            Channel cb = ((ChannelEndpoint) splice.b()).channel();

            long start = System.nanoTime();
            gateway.shutdown();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
            assertThat(a.isClosedByPeer()).isTrue();
            assertThat(b.isClosedByPeer()).isTrue();
            assertThat(splice.completion().get(5, TimeUnit.SECONDS).outcome()).isEqualTo("aborted");
            for (Channel ch : new Channel[] {ca, cb}) {
                assertThat(ch.isOpen()).isFalse();
                assertThat(ch.pipeline().get(ChannelEndpoint.HANDLER_NAME)).as("pipeline torn down").isNull();
            }
        }
    }
}
