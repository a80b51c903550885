package io.isthmus.webroute;

import static io.isthmus.webroute.Wire.BAD_REQUEST;
import static io.isthmus.webroute.Wire.GATEWAY_TIMEOUT;
import static io.isthmus.webroute.Wire.ID;
import static io.isthmus.webroute.Wire.METHOD_NOT_ALLOWED;
import static io.isthmus.webroute.Wire.OK101;
import static io.isthmus.webroute.Wire.UPGRADE_REQUIRED;
import static io.isthmus.webroute.Wire.ascii;
import static io.isthmus.webroute.Wire.awaitWaiting;
import static io.isthmus.webroute.Wire.park;
import static io.isthmus.webroute.Wire.readAscii;
import static io.isthmus.webroute.Wire.request;
import static io.isthmus.webroute.Wire.send;
import static io.isthmus.webroute.Wire.target;
import static io.isthmus.webroute.Wire.waiting;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The WebRoute conformance cases 1–15 of the protocol notes, against a real gateway on loopback with
 * exact bytes. The server default is 2 s here so that cases 9 and 13 take seconds, not minutes.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WebRouteConformanceTest {

    static Gateway gateway;

    @BeforeAll
    static void start() {
        gateway = TestGateways.start("isthmus.plugins.webroute.default-timeout = 2s");
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    /** A parked, then B links: both past their 101. */
    static RawClient[] linked(String name) throws IOException {
        RawClient a = park(gateway, request(name));
        RawClient b = send(gateway, request(name));
        assertThat(readAscii(a, OK101.length())).isEqualTo(OK101);
        assertThat(readAscii(b, OK101.length())).isEqualTo(OK101);
        return new RawClient[] {a, b};
    }

    @Test
    void case01_theWaiterHearsNothingUntilThePartnerComesThenBothGetExactly101() throws IOException {
        try (RawClient a = park(gateway, request("case1"))) {
            assertThat(a.staysSilentFor(300)).isTrue();
            try (RawClient b = send(gateway, request("case1"))) {
                assertThat(readAscii(a, 127)).isEqualTo(OK101);
                assertThat(readAscii(b, 127)).isEqualTo(OK101);
                assertThat(a.staysSilentFor(200)).isTrue();
                assertThat(b.staysSilentFor(50)).isTrue();
            }
        }
        awaitWaiting(gateway, 0);
    }

    @Test
    void case02_binaryBytesPassUnchangedBothWays() throws IOException {
        RawClient[] p = linked("case2");
        try (RawClient a = p[0]; RawClient b = p[1]) {
            byte[] all = new byte[256 * 4];
            for (int i = 0; i < all.length; i++) {
                all[i] = (byte) i;
            }
            a.send(all);
            assertThat(b.readExactly(all.length)).isEqualTo(all);
            byte[] back = new byte[70_000];
            new Random(2).nextBytes(back);
            b.send(back);
            assertThat(a.readExactly(back.length)).isEqualTo(back);
        }
    }

    @Test
    void case03_aMethodOtherThanGetGets405ThenClose() throws IOException {
        double before = Wire.rejections(gateway, "method_not_allowed");
        try (RawClient c = send(gateway, request(target("case3"), ID).replaceFirst("GET", "POST"))) {
            assertThat(c.readToEofAscii()).isEqualTo(METHOD_NOT_ALLOWED);
        }
        String postWithoutId = "POST /case3 HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: webroute\r\n\r\n";
        try (RawClient c = send(gateway, postWithoutId)) {
            assertThat(c.readToEofAscii()).isEqualTo(METHOD_NOT_ALLOWED);
        }
        assertThat(Wire.rejections(gateway, "method_not_allowed")).isEqualTo(before + 2);
    }

    @Test
    void case04_missingIdHostOrUpgradeGets400ThenClose() throws IOException {
        String valid = request(target("case4"), ID);
        String[] variants = {
                valid.replace("Webroute-Id: " + ID + "\r\n", ""),
                valid.replace("Host: 127.0.0.1:47735\r\n", ""),
                valid.replace("Upgrade: webroute", "Upgrade: websocket"),
                valid.replace("Connection: keep-alive, Upgrade", "Connection: keep-alive"),
        };
        for (String v : variants) {
            try (RawClient c = send(gateway, v)) {
                assertThat(c.readToEofAscii()).as(v).isEqualTo(BAD_REQUEST);
            }
        }
        assertThat(waiting(gateway)).isZero();
    }

    @Test
    void case05_aMissingOrUnsupportedVersionGets426ThenClose() throws IOException {
        String valid = request(target("case5"), ID);
        for (String v : new String[] {
                valid.replace("Webroute-Version: 1\r\n", ""),
                valid.replace("Webroute-Version: 1", "Webroute-Version: 2"),
                valid.replace("Webroute-Version: 1", "Webroute-Version: 1abc")}) {
            try (RawClient c = send(gateway, v)) {
                assertThat(c.readToEofAscii()).isEqualTo(UPGRADE_REQUIRED);
            }
        }
        for (String version : new String[] {"1.0", "01"}) {
            String accepted = valid.replace("Webroute-Version: 1", "Webroute-Version: " + version);
            try (RawClient a = park(gateway, accepted); RawClient b = send(gateway, accepted)) {
                assertThat(readAscii(a, 127)).isEqualTo(OK101);
                assertThat(readAscii(b, 127)).isEqualTo(OK101);
            }
        }
    }

    @Test
    void case06_lowerCaseNamesAndBareLineFeedsLinkToo() throws IOException {
        String lower = request(target("case6"), ID).toLowerCase()
                .replace("get /case6", "GET /case6").replace("http/1.1", "HTTP/1.1")
                .replace("webroute-id: " + ID.toLowerCase(), "webroute-id: " + ID);
        String bareLf = request(target("case6"), ID).replace("\r\n", "\n");
        try (RawClient a = park(gateway, lower); RawClient b = send(gateway, bareLf)) {
            assertThat(readAscii(a, 127)).isEqualTo(OK101);
            assertThat(readAscii(b, 127)).isEqualTo(OK101);
            a.send("over");
            assertThat(readAscii(b, 4)).isEqualTo("over");
        }
    }

    @Test
    void case07_theSameIdUnderAnotherQueryDoesNotLink() throws IOException {
        try (RawClient a = park(gateway, request(target("case7"), ID));
             RawClient b = park(gateway, request(target("case7") + "&x=1", ID))) {
            assertThat(waiting(gateway)).isEqualTo(2);
            assertThat(a.staysSilentFor(300)).isTrue();
            assertThat(b.staysSilentFor(10)).isTrue();
        }
        awaitWaiting(gateway, 0);
    }

    @Test
    void case08_aThirdClientWaitsAgainAndLinksWithAFourth() throws IOException {
        RawClient[] ab = linked("case8");
        try (RawClient a = ab[0]; RawClient b = ab[1];
             RawClient c = park(gateway, request("case8"))) {
            assertThat(c.staysSilentFor(300)).isTrue();
            try (RawClient d = send(gateway, request("case8"))) {
                assertThat(readAscii(c, 127)).isEqualTo(OK101);
                assertThat(readAscii(d, 127)).isEqualTo(OK101);
                c.send("from C");
                assertThat(readAscii(d, 6)).isEqualTo("from C");
                assertThat(a.staysSilentFor(50)).isTrue();
                assertThat(b.staysSilentFor(50)).isTrue();
            }
        }
    }

    @Test
    void case09_aLoneWaiterGetsThe504AfterTheDefaultThenEof() throws IOException {
        double before = Wire.handshakes(gateway, "timeout");
        long start = System.nanoTime();
        try (RawClient a = park(gateway, request("case9"))) {
            assertThat(a.readToEofAscii()).isEqualTo(GATEWAY_TIMEOUT);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(1900), Duration.ofMillis(4500));
        }
        assertThat(waiting(gateway)).isZero();
        assertThat(Wire.handshakes(gateway, "timeout")).isEqualTo(before + 1);
    }

    @Test
    void case10_aWaiterThatClosesIsForgottenAtOnceAndNeverLinked() throws IOException {
        for (String how : new String[] {"close", "reset", "shutdown"}) {
            RawClient a = park(gateway, request("case10"));
            switch (how) {
                case "close" -> a.close();
                case "reset" -> a.reset();
                default -> a.shutdownOutput();
            }
            // The gauge drops as soon as the gateway sees the end (the reference polls after 1 s idle).
            await().atMost(Duration.ofMillis(500)).pollInterval(Duration.ofMillis(5)).until(() -> waiting(gateway) == 0);
            try (RawClient b = park(gateway, request("case10"))) {
                assertThat(b.staysSilentFor(300)).as(how).isTrue();
                assertThat(waiting(gateway)).isEqualTo(1);
            }
            awaitWaiting(gateway, 0);
            a.close();
        }
    }

    @Test
    void case11_earlyBytesReachThePartnerRightAfterIts101() throws IOException {
        try (RawClient a = park(gateway, request("case11") + "EARLY-A")) {
            a.send("+LATER-A");
            // Let the later bytes reach the gateway while A still waits.
            assertThat(a.staysSilentFor(200)).isTrue();
            try (RawClient b = send(gateway, request("case11") + "EARLY-B")) {
                assertThat(readAscii(b, 127)).isEqualTo(OK101);
                assertThat(readAscii(b, 15)).isEqualTo("EARLY-A+LATER-A");
                assertThat(readAscii(a, 127)).isEqualTo(OK101);
                assertThat(readAscii(a, 7)).isEqualTo("EARLY-B");
                assertThat(b.staysSilentFor(100)).isTrue();
            }
        }
    }

    @Test
    void case12_timeoutHeadersAreNegotiated() throws IOException {
        // The table itself is TimeoutNegotiationTest; here the link takes the header (80 > 2 s default).
        try (RawClient a = park(gateway, request(target("case12"), ID, "WebRoute-Timeout: 80"));
             RawClient b = send(gateway, request(target("case12"), ID, "WebRoute-Timeout: 120"))) {
            assertThat(readAscii(a, 127)).isEqualTo(OK101);
            assertThat(readAscii(b, 127)).isEqualTo(OK101);
            // Silent for longer than the 2 s default and still linked.
            assertThat(a.staysSilentFor(2600)).isTrue();
            a.send("still here");
            assertThat(readAscii(b, 10)).isEqualTo("still here");
        }
    }

    /** Issue #10 point 8: an absurd WebRoute-Timeout (1e20 seconds) is clamped to the server's maximum, one year. */
    @Test
    void anAbsurdTimeoutHeaderIsClampedToAYear() throws IOException {
        try (RawClient a = park(gateway, request(target("clamp"), ID, "WebRoute-Timeout: 1e20"));
             RawClient b = send(gateway, request(target("clamp"), ID, "WebRoute-Timeout: 1e20"))) {
            assertThat(readAscii(a, 127)).isEqualTo(OK101);
            assertThat(readAscii(b, 127)).isEqualTo(OK101);
            var splice = org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
                    .until(() -> gateway.splices().liveSplices().stream().findFirst().orElse(null), s -> s != null);
            assertThat(splice.options().idleTimeout()).isEqualTo(java.time.Duration.ofDays(365));
        }
    }

    @Test
    void case13_anIdleLinkClosesBothSidesWithoutBytes() throws IOException {
        RawClient[] p = linked("case13");
        long start = System.nanoTime();
        try (RawClient a = p[0]; RawClient b = p[1]) {
            assertThat(a.readToEof()).isEmpty();
            assertThat(b.readToEof()).isEmpty();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(1900), Duration.ofMillis(4500));
        }
    }

    @Test
    @SuppressWarnings("try") // one side closes early on purpose
    void case14_whenOneSideEndsTheOtherGetsEveryPendingByteThenEof() throws IOException {
        RawClient[] p = linked("case14a");
        try (RawClient a = p[0]; RawClient b = p[1]) {
            a.send("bye");
            a.close();
            assertThat(ascii(b.readToEof())).isEqualTo("bye");
        }
        RawClient[] q = linked("case14b");
        try (RawClient a = q[0]; RawClient b = q[1]) {
            byte[] big = new byte[2 * 1024 * 1024];
            new Random(14).nextBytes(big);
            b.send(big);
            b.shutdownOutput();
            assertThat(a.readToEof()).isEqualTo(big);
            // No half-close passthrough (as the reference): B's FIN ended the pair.
            assertThat(b.isClosedByPeer()).isTrue();
        }
    }

    @Test
    void case15_anEndlessHeaderLineIsCutOffByTheFrontDoor() throws IOException {
        // The reference closes silently at 100000 bytes of one line. Our front door caps the whole head
        // (16 KiB by default) and says so with its 431 before closing; no WebRoute reply is ever sent.
        try (RawClient c = new RawClient(gateway.address(), 15_000)) {
            c.send("GET " + target("case15") + " HTTP/1.1\r\nHost: h\r\nX-Long: ");
            byte[] filler = new byte[100_001];
            java.util.Arrays.fill(filler, (byte) 'a');
            try {
                c.send(filler);
            } catch (IOException closedWhileSending) {
                // The gateway may close before all of it is written; the reply is still readable below.
            }
            String reply = c.readToEofAscii();
            assertThat(reply).startsWith("HTTP/1.1 431 ").doesNotContain("101");
        }
        assertThat(waiting(gateway)).isZero();
    }
}
