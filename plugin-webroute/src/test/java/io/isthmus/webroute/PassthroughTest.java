package io.isthmus.webroute;

import static io.isthmus.webroute.Wire.OK101;
import static io.isthmus.webroute.Wire.park;
import static io.isthmus.webroute.Wire.readAscii;
import static io.isthmus.webroute.Wire.request;
import static io.isthmus.webroute.Wire.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.RandomPayloads;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Random payloads both ways at once through a linked pair, each checked by SHA-256 and count; the largest
 * is 256 MiB each way. Both sides write and read concurrently, so back-pressure is exercised too.
 */
class PassthroughTest {

    static Gateway gateway;
    static ExecutorService pool = Executors.newCachedThreadPool();

    @BeforeAll
    static void start() {
        gateway = TestGateways.start("isthmus.plugins.webroute.default-timeout = 30s");
    }

    @AfterAll
    static void stop() {
        gateway.close();
        pool.shutdownNow();
    }

    @ParameterizedTest(name = "{0} bytes each way")
    @ValueSource(longs = {1, 8191, 65_537, 3_000_017, 256L * 1024 * 1024})
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    @SuppressWarnings("try") // one side closes early on purpose
    void randomBytesArriveIntactBothWays(long size) throws Exception {
        String name = "bulk" + size;
        try (RawClient a = park(gateway, request(name)); RawClient b = send(gateway, request(name))) {
            a.socket().setSoTimeout(120_000);
            b.socket().setSoTimeout(120_000);
            assertThat(readAscii(a, 127)).isEqualTo(OK101);
            assertThat(readAscii(b, 127)).isEqualTo(OK101);
            var ab = RandomPayloads.send(a.out(), size, size, pool, RandomPayloads.Then.NOTHING);
            var ba = RandomPayloads.send(b.out(), size, ~size, pool, RandomPayloads.Then.NOTHING);
            var atB = RandomPayloads.receive(b.in(), size, pool);
            var atA = RandomPayloads.receive(a.in(), size, pool);
            RandomPayloads.Digest gotB = atB.get(120, TimeUnit.SECONDS);
            RandomPayloads.Digest gotA = atA.get(120, TimeUnit.SECONDS);
            assertThat(gotB.bytes()).isEqualTo(size);
            assertThat(gotA.bytes()).isEqualTo(size);
            assertThat(gotB.digest()).isEqualTo(ab.get(10, TimeUnit.SECONDS).digest());
            assertThat(gotA.digest()).isEqualTo(ba.get(10, TimeUnit.SECONDS).digest());
            // Nothing beyond the payload: the pair ends cleanly when A closes.
            a.close();
            assertThat(b.readToEof()).isEmpty();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> gateway.splices().liveCount() == 0);
        var bytes = gateway.metrics().registry().find("isthmus.spliced").tag("protocol", "webroute")
                .tag("direction", "upstream").counter();
        assertThat(bytes.count()).isGreaterThanOrEqualTo(size);
    }
}
