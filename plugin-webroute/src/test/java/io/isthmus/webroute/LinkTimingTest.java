package io.isthmus.webroute;

import static io.isthmus.webroute.Wire.OK101;
import static io.isthmus.webroute.Wire.park;
import static io.isthmus.webroute.Wire.readAscii;
import static io.isthmus.webroute.Wire.request;
import static io.isthmus.webroute.Wire.send;
import static io.isthmus.webroute.Wire.target;
import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The 101 never shares a read with passthrough bytes, and the link's idle timeout is the negotiated one.
 * The grace is 100 ms here (25 ms by default) so that a test thread the scheduler delays still reads the
 * 101 alone.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LinkTimingTest {

    static Gateway gateway;

    @BeforeAll
    static void start() {
        gateway = TestGateways.start("isthmus.plugins.webroute { default-timeout = 1s, link-grace = 100ms }");
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    /** One read() into a large buffer, as a client library does. */
    static String firstRead(InputStream in) throws Exception {
        byte[] buf = new byte[1 << 16];
        int n = in.read(buf);
        return new String(buf, 0, Math.max(n, 0), StandardCharsets.ISO_8859_1);
    }

    @Test
    void theWaitersFirstReadIsExactlyThe101ThoughThePartnerSentDataWithItsHead() throws Exception {
        try (RawClient a = park(gateway, request("alone1"))) {
            // A is already blocked in read() when the link happens.
            CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> {
                try {
                    return firstRead(a.in());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try (RawClient b = send(gateway, request("alone1") + "DATA-FROM-B")) {
                long t0 = System.nanoTime();
                assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(OK101);
                assertThat(readAscii(a, 11)).isEqualTo("DATA-FROM-B");
                // Held for the grace after both 101s were flushed.
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(80));
                assertThat(readAscii(b, 127)).isEqualTo(OK101);
            }
        }
    }

    @Test
    void theNewcomersFirstReadIsExactlyThe101ThoughTheWaiterSentDataEarly() throws Exception {
        try (RawClient a = park(gateway, request("alone2") + "EARLY")) {
            a.send("-AND-LATER");
            try (RawClient b = send(gateway, request("alone2"))) {
                assertThat(firstRead(b.in())).isEqualTo(OK101);
                assertThat(readAscii(b, 15)).isEqualTo("EARLY-AND-LATER");
                assertThat(firstRead(a.in())).isEqualTo(OK101);
            }
        }
    }

    /** Links a pair with the given WebRoute-Timeout values (null: none) and measures until both sides see EOF. */
    static CompletableFuture<Duration> idleCloseOf(String name, String timeoutA, String timeoutB) throws Exception {
        String hA = timeoutA == null ? null : "WebRoute-Timeout: " + timeoutA;
        String hB = timeoutB == null ? null : "WebRoute-Timeout: " + timeoutB;
        RawClient a = park(gateway, hA == null ? request(target(name), Wire.ID) : request(target(name), Wire.ID, hA));
        RawClient b = send(gateway, hB == null ? request(target(name), Wire.ID) : request(target(name), Wire.ID, hB));
        assertThat(readAscii(a, 127)).isEqualTo(OK101);
        assertThat(readAscii(b, 127)).isEqualTo(OK101);
        long linked = System.nanoTime();
        return CompletableFuture.supplyAsync(() -> {
            try (a; b) {
                assertThat(a.readToEof()).isEmpty();
                assertThat(b.readToEof()).isEmpty();
                return Duration.ofNanos(System.nanoTime() - linked);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void theLinkIdlesOutAfterTheNegotiatedTimeout() throws Exception {
        // Server default 1 s: 2 and 3 give 2; "abc" counts as absent, so abc/3 gives 1; 0 and 0.5 are raised to 1.
        var twoThree = idleCloseOf("neg1", "2", "3");
        var abcThree = idleCloseOf("neg2", "abc", "3");
        var raised = idleCloseOf("neg3", "0", "0.5");
        assertThat(abcThree.get(10, TimeUnit.SECONDS)).isBetween(Duration.ofMillis(900), Duration.ofMillis(1900));
        assertThat(raised.get(10, TimeUnit.SECONDS)).isBetween(Duration.ofMillis(900), Duration.ofMillis(1900));
        assertThat(twoThree.get(10, TimeUnit.SECONDS)).isBetween(Duration.ofMillis(1900), Duration.ofMillis(2900));
    }

    @Test
    void trafficKeepsALinkOpenPastItsIdleTimeout() throws Exception {
        try (RawClient a = park(gateway, request("busy")); RawClient b = send(gateway, request("busy"))) {
            readAscii(a, 127);
            readAscii(b, 127);
            byte[] tick = "t".getBytes(StandardCharsets.ISO_8859_1);
            // Six ticks 400 ms apart outlive the 1 s idle timeout twice over.
            for (int i = 0; i < 6; i++) {
                assertThat(b.staysSilentFor(400)).isTrue();
                a.send(tick);
                assertThat(Arrays.equals(b.readExactly(1), tick)).isTrue();
            }
        }
    }
}
