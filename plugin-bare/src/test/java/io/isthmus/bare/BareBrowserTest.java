package io.isthmus.bare;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.HeadlessChromium;
import io.isthmus.core.testing.NodeScripts;
import io.isthmus.core.testing.StaticPages;
import io.isthmus.core.testing.TestGateways;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A real headless Chromium loads a page (served by the test, on another origin than the gateway, so CORS
 * and preflights are real) that uses {@code @mercuryworkshop/bare-mux} 2.1.9 with the
 * {@code bare-as-module3} 2.2.5 transport: fetches and a WebSocket through the gateway's Bare server.
 * {@code @tomphttp/bare-client} 2.1.0 (not a bare-mux transport) runs in the same page on its own.
 * The screenshot is kept in {@code target/screenshots/}.
 */
class BareBrowserTest {

    @Test
    void bareMuxInChromium() throws Exception {
        Path modules = NodeScripts.nodeModules();
        try (TestOrigin origin = new TestOrigin();
             Gateway gateway = TestGateways.start("isthmus.plugins.bare.egress.allow-cidrs = [\"127.0.0.0/8\"]")) {
            String page = new String(getClass().getResourceAsStream("/browser/bare-mux.html").readAllBytes(), StandardCharsets.UTF_8)
                    .replace("__GATEWAY__", "http://127.0.0.1:" + gateway.address().getPort())
                    .replace("__ORIGIN__", origin.base());
            try (StaticPages pages = StaticPages.serve(page)) {
                pages.add("/baremux/index.mjs", Files.readString(modules.resolve("@mercuryworkshop/bare-mux/dist/index.mjs")));
                pages.add("/baremux/worker.js", Files.readString(modules.resolve("@mercuryworkshop/bare-mux/dist/worker.js")));
                pages.add("/bare-as-module3/index.mjs",
                        Files.readString(modules.resolve("@mercuryworkshop/bare-as-module3/dist/index.mjs")));
                pages.add("/bare-client/index.js", Files.readString(modules.resolve("@tomphttp/bare-client/dist/index.js")));
                HeadlessChromium.PageReport report = HeadlessChromium.load(pages.url(),
                        Path.of("target/screenshots/bare-mux.png"), Duration.ofSeconds(60));
                assertThat(report.ok()).as(report.toString()).isTrue();
            }
        }
    }
}
