package io.isthmus.core.splice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.ProbePairs;
import io.isthmus.core.testing.RandomPayloads;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code zero-copy = auto}, the default, on each transport: a link that asks for zero-copy goes through
 * small messages, bulk one way, small messages, bulk the other way, and every byte arrives in order. On
 * epoll it moves to the kernel path for each bulk phase and back for each interactive one
 * ({@code isthmus_zero_copy_switches_total}); on NIO and io_uring it copies throughout and says why.
 */
class ZeroCopyAutoTest {

    private static final long MIB = 1024 * 1024;
    private static final ExecutorService POOL = Executors.newCachedThreadPool();

    @AfterAll
    static void stopPool() {
        POOL.shutdownNow();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"epoll", "nio", "io_uring"})
    void theDefaultSwitchesWherePossibleAndNeverLosesAByte(String transport) throws Exception {
        assumeTrue(!transport.equals("epoll") || Epoll.isAvailable(), "no epoll here");
        assumeTrue(!transport.equals("io_uring") || IoUring.isAvailable(), "no io_uring here");
        boolean kernel = transport.equals("epoll");
        try (Gateway gateway = TestGateways.start("isthmus.transport = " + transport + "\n");
             ProbePairs.Linked pair = ProbePairs.link(gateway, "?zerocopy=true")) {
            Splice splice = pair.splice();
            assertThat(splice.mode()).isEqualTo(kernel ? Splice.AUTO : Splice.COPY);
            long up = pingPong(pair.a(), pair.b(), 32, 1);
            up += bulk(pair.a(), pair.b(), 16 * MIB, 2, POOL);
            assertThat(switches(gateway, Splice.SPLICE)).isEqualTo(kernel ? 1 : 0);
            up += pingPong(pair.a(), pair.b(), 32, 3);
            assertThat(switches(gateway, Splice.COPY)).isEqualTo(kernel ? 1 : 0);
            assertThat(splice.splicingInKernel()).isFalse();
            long down = 64 * 32 * 2 + bulk(pair.b(), pair.a(), 16 * MIB, 4, POOL);
            assertThat(switches(gateway, Splice.SPLICE)).isEqualTo(kernel ? 2 : 0);
            if (kernel) {
                assertThat(splice.kernelBytes()).as("the bulk phases, in the kernel").isGreaterThan(16 * MIB);
            } else {
                assertThat(splice.kernelBytes()).isZero();
                assertThat(gateway.metrics().registry().find("isthmus.zero.copy.fallbacks").tag("reason", "not-epoll")
                        .counter().count()).isEqualTo(1);
            }
            pair.a().shutdownOutput();
            assertThat(pair.b().readToEof()).isEmpty();
            pair.b().shutdownOutput();
            assertThat(pair.a().readToEof()).isEmpty();
            assertThat(splice.completion().get(10, TimeUnit.SECONDS).outcome()).isEqualTo("completed");
            assertThat(splice.upstreamBytes()).isEqualTo(up);
            assertThat(splice.downstreamBytes()).isEqualTo(down);
        }
    }

    private static double switches(Gateway gateway, String to) {
        var counter = gateway.metrics().registry().find("isthmus.zero.copy.switches").tag("to", to).counter();
        return counter == null ? 0 : counter.count();
    }

    /** {@code rounds} 64-byte round trips, each message checked; returns the bytes sent each way. */
    static long pingPong(RawClient a, RawClient b, int rounds, long seed) throws Exception {
        Random random = new Random(seed);
        byte[] ping = new byte[64];
        byte[] pong = new byte[64];
        for (int i = 0; i < rounds; i++) {
            random.nextBytes(ping);
            a.send(ping);
            assertThat(b.readExactly(64)).isEqualTo(ping);
            random.nextBytes(pong);
            b.send(pong);
            assertThat(a.readExactly(64)).isEqualTo(pong);
        }
        return 64L * rounds;
    }

    /** {@code size} random bytes from {@code from} to {@code to}, checked by digest; returns {@code size}. */
    static long bulk(RawClient from, RawClient to, long size, long seed, ExecutorService pool) throws Exception {
        var sent = RandomPayloads.send(from.out(), size, seed, pool, RandomPayloads.Then.NOTHING);
        var got = RandomPayloads.receive(to.in(), size, pool);
        assertThat(got.get(60, TimeUnit.SECONDS).digest()).isEqualTo(sent.get(60, TimeUnit.SECONDS).digest());
        return size;
    }
}
