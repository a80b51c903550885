package io.isthmus.rawsocket.wisp;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.HeadlessChromium;
import io.isthmus.core.testing.NodeScripts;
import io.isthmus.core.testing.StaticPages;
import io.isthmus.core.testing.TestGateways;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The real wisp-js 0.5.0 browser bundle in Debian's headless Chromium: a page (served by a loopback HTTP
 * server) opens a v2 connection to the gateway, runs concurrent TCP streams and a UDP round trip. The
 * screenshot is kept under target/artifacts.
 */
class WispJsChromiumTest {

    @Test
    void wispJsInChromiumRunsConcurrentTcpStreamsAndUdp() throws Exception {
        String bundle = Files.readString(NodeScripts.nodeModules().resolve("@mercuryworkshop/wisp-js/dist/wisp-client.js"));
        String page = Files.readString(Path.of("src/test/resources/wisp/wisp-js-page.html"));
        try (LoopbackServices services = new LoopbackServices();
             Gateway g = TestGateways.start("isthmus.plugins.rawsocket.wisp.egress.allow-cidrs = [\"127.0.0.0/8\"]");
             StaticPages pages = StaticPages.serve(page).add("/wisp-client.js", bundle)) {
            String url = pages.url() + "?wisp=ws://127.0.0.1:" + g.address().getPort() + "/sockets/wisp/"
                    + "&echo=" + services.tcpEcho() + "&udp=" + services.udpEcho();
            HeadlessChromium.PageReport report = HeadlessChromium.load(url,
                    Path.of("target/artifacts/wisp-js-chromium.png"), Duration.ofSeconds(60));
            assertThat(report.ok()).as(report.toString()).isTrue();
            assertThat(report.e2e().path("results").size()).isEqualTo(3);
        }
        assertThat(Path.of("target/artifacts/wisp-js-chromium.png")).exists();
    }
}
