package io.isthmus.rawsocket.wisp;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.HeadlessChromium;
import io.isthmus.core.testing.StaticPages;
import io.isthmus.core.testing.TestGateways;
import io.netty.util.ResourceLeakDetector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gateway's {@code /sockets/direct-sockets.js} in Debian's headless Chromium, imported by a page of
 * another origin: a TCP echo round trip with the OPENED addresses, 4 MiB checksummed, a half-close
 * (writable.close() is a FIN and the target's answer still arrives), a UDP round trip, and a refused and a
 * blocked target with the draft's errors.
 *
 * <p>Leak detection runs at ADVANCED here rather than PARANOID: PARANOID records a stack trace for every
 * 4-byte unmask of every browser frame, which makes 4 MiB take minutes; leaks are still sampled and fail.
 */
class DirectSocketsChromiumTest {

    static ResourceLeakDetector.Level before;

    @BeforeAll
    static void lighterLeakDetection() {
        before = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.ADVANCED);
    }

    @AfterAll
    static void restore() {
        ResourceLeakDetector.setLevel(before);
    }

    @Test
    void directSocketsWorkFromAPage() throws Exception {
        String page = Files.readString(Path.of("src/test/resources/wisp/direct-sockets-page.html"));
        try (LoopbackServices services = new LoopbackServices();
             Gateway g = TestGateways.start("""
                     isthmus.plugins.rawsocket.wisp.egress {
                       allow-cidrs = ["127.0.0.0/8"]
                       deny-cidrs = ["127.0.0.2/32"]
                     }
                     """);
             StaticPages pages = StaticPages.serve(page)) {
            String url = pages.url() + "?gw=http://127.0.0.1:" + g.address().getPort()
                    + "&echo=" + services.tcpEcho() + "&half=" + services.tcpHalf() + "&udp=" + services.udpEcho()
                    + "&closed=" + LoopbackServices.closedPort();
            HeadlessChromium.PageReport report = HeadlessChromium.load(url,
                    Path.of("target/artifacts/direct-sockets-chromium.png"), Duration.ofSeconds(90));
            assertThat(report.ok()).as(report.toString()).isTrue();
            assertThat(report.e2e().path("results").size()).isEqualTo(7);
        }
    }
}
