package io.isthmus.rawsocket;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.HeadlessChromium;
import io.isthmus.core.testing.StaticPages;
import io.isthmus.core.testing.TestGateways;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real headless Chromium (Debian's, driven by playwright-core; rawsocket-browser.md §7) against the
 * gateway: the browser's own WebSocket for byte values, 4 MiB, banner then close, a refused target and a UDP
 * flow (from a page of another origin, allowed by allowed-origins), and the gateway's demo page checking
 * itself (both tabs: the bridge and Direct Sockets over Wisp), with screenshots kept under target/artifacts.
 */
class BrowserTest {

    @TempDir
    static Path dir;
    static LoopbackTargets targets;
    static StaticPages pages;
    static Gateway gateway;

    @BeforeAll
    static void start() throws Exception {
        targets = new LoopbackTargets();
        Path tokens = dir.resolve("tokens.cfg");
        Files.writeString(tokens, "echo: 127.0.0.1:" + targets.echo() + "\n"
                + "banner: 127.0.0.1:" + targets.banner("220 smtp.example ESMTP\r\n") + "\n"
                + "refused: 127.0.0.1:" + LoopbackTargets.closedPort() + "\n"
                + "udpecho: 127.0.0.1:" + targets.udpEcho() + "\n");
        pages = StaticPages.serve("placeholder");
        String pageOrigin = pages.url().substring(0, pages.url().length() - 1);
        gateway = TestGateways.start("""
                isthmus.egress.allow-cidrs = ["127.0.0.0/8"]
                isthmus.plugins.rawsocket {
                  allowed-origins = ["%s"]
                  tokens.file = "%s"
                }
                """.formatted(pageOrigin, tokens));
        String html;
        try (InputStream in = BrowserTest.class.getResourceAsStream("bridge-e2e.html")) {
            html = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        pages.add("/", html.replace("{{GATEWAY}}", "127.0.0.1:" + gateway.address().getPort()));
    }

    @AfterAll
    static void stop() throws Exception {
        gateway.close();
        pages.close();
        targets.close();
    }

    @Test
    void theBrowsersOwnWebSocketPassesTheBridgeCases() throws Exception {
        HeadlessChromium.PageReport report = HeadlessChromium.load(pages.url(),
                Path.of("target/artifacts/rawsocket-bridge-e2e.png"), Duration.ofSeconds(60));
        assertThat(report.ok()).as(report.toString()).isTrue();
        assertThat(report.e2e().path("results").size()).isEqualTo(5);
    }

    @Test
    void theDemoPageTalksToEachDemoServiceAndIsKeptAsAScreenshot() throws Exception {
        Path shot = Path.of("target/artifacts/rawsocket-demo-page.png");
        String url = "http://127.0.0.1:" + gateway.address().getPort() + "/sockets/demo/#selftest";
        HeadlessChromium.PageReport report = HeadlessChromium.load(url, shot, Duration.ofSeconds(60));
        assertThat(report.ok()).as(report.toString()).isTrue();
        assertThat(Files.size(shot)).isPositive();
    }

    @Test
    void theDemoPagesDirectSocketsTabEchoesHalfClosesAndMapsRefusalAndIsKeptAsAScreenshot() throws Exception {
        Path shot = Path.of("target/artifacts/rawsocket-demo-direct-sockets.png");
        String url = "http://127.0.0.1:" + gateway.address().getPort() + "/sockets/demo/?host=127.0.0.1&tcp=" + targets.echo()
                + "&udp=" + targets.udpEcho() + "&closed=" + LoopbackTargets.closedPort() + "#selftest-direct";
        HeadlessChromium.PageReport report = HeadlessChromium.load(url, shot, Duration.ofSeconds(60));
        assertThat(report.ok()).as(report.toString()).isTrue();
        assertThat(report.e2e().path("results").size()).isEqualTo(4);
        assertThat(Files.size(shot)).isPositive();
    }
}
