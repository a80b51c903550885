package io.isthmus.webroute;

import static io.isthmus.webroute.Wire.awaitWaiting;
import static io.isthmus.webroute.Wire.readAscii;
import static io.isthmus.webroute.Wire.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import io.isthmus.webroute.handshake.WebRouteResponses;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * 1,000 pairs linked at the same time (4,000 sockets in this JVM, well under the 20,000 descriptor limit):
 * every pair gets its own 101s and each side's bytes reach only its own partner.
 */
class ConcurrentPairsTest {

    static final int PAIRS = 1000;
    static final int WORKERS = 8;
    static Gateway gateway;

    @BeforeAll
    static void start() {
        // Every client comes from 127.0.0.1: lift the per-address caps for this test.
        gateway = TestGateways.start("""
                isthmus.limits.max-connections-per-ip = 10000
                isthmus.plugins.webroute { default-timeout = 60s, max-waiting-per-ip = 5000 }
                """);
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aThousandPairsLinkAndTalkAtOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(WORKERS);
        RawClient[] a = new RawClient[PAIRS];
        RawClient[] b = new RawClient[PAIRS];
        try {
            // All first halves wait at once...
            runAll(pool, i -> {
                a[i] = new RawClient(gateway.address(), 30_000);
                a[i].send(request("/pairs/" + i, "id-" + i));
            });
            awaitWaiting(gateway, PAIRS);
            // ...then all second halves arrive, and every pair talks both ways.
            runAll(pool, i -> {
                b[i] = new RawClient(gateway.address(), 30_000);
                b[i].send(request("/pairs/" + i, "id-" + i));
            });
            runAll(pool, i -> {
                String ok = WebRouteResponses.switchingProtocols("id-" + i);
                assertThat(readAscii(a[i], ok.length())).isEqualTo(ok);
                assertThat(readAscii(b[i], ok.length())).isEqualTo(ok);
                a[i].send("ping " + i + "\n");
                assertThat(readAscii(b[i], ("ping " + i + "\n").length())).isEqualTo("ping " + i + "\n");
                b[i].send("pong " + i + "\n");
                assertThat(readAscii(a[i], ("pong " + i + "\n").length())).isEqualTo("pong " + i + "\n");
            });
            assertThat(gateway.splices().liveCount()).isEqualTo(PAIRS);
            assertThat(Wire.waiting(gateway)).isZero();
        } finally {
            for (int i = 0; i < PAIRS; i++) {
                if (a[i] != null) {
                    a[i].close();
                }
                if (b[i] != null) {
                    b[i].close();
                }
            }
            pool.shutdownNow();
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> gateway.splices().liveCount() == 0);
        assertThat(Wire.handshakes(gateway, "linked")).isEqualTo(PAIRS);
    }

    interface Step {
        void run(int i) throws Exception;
    }

    /** Runs {@code step} for every pair index on the pool, failing on the first failure. */
    static void runAll(ExecutorService pool, Step step) throws Exception {
        List<Future<?>> done = new ArrayList<>();
        for (int w = 0; w < WORKERS; w++) {
            int first = w;
            done.add(pool.submit(() -> {
                for (int i = first; i < PAIRS; i += WORKERS) {
                    step.run(i);
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get(30, TimeUnit.SECONDS);
        }
    }
}
