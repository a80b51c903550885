package io.isthmus.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The browser harness itself: a page from a real loopback server reports its own success, and its failure. */
@ExtendWith(LeakGuard.class)
class HeadlessChromiumTest {

    @Test
    void pageReportsWhatItSetAndAScreenshotIsKept() throws Exception {
        try (StaticPages pages = StaticPages.serve("""
                <!doctype html><title>harness</title><p id=t>hello from loopback</p>
                <script>window.__e2e = {done: true, ok: document.getElementById('t').textContent === 'hello from loopback',
                                        results: [{name: 'text', ok: true}]};</script>
                """)) {
            Path shot = Path.of("target/artifacts/headless-chromium-harness.png");
            HeadlessChromium.PageReport report = HeadlessChromium.load(pages.url(), shot, Duration.ofSeconds(60));
            assertThat(report.ok()).as(report.toString()).isTrue();
            assertThat(report.e2e().path("results").get(0).path("name").asText()).isEqualTo("text");
            assertThat(Files.size(shot)).isPositive();
        }
    }

    @Test
    void aPageThatSaysNotOkFails() throws Exception {
        try (StaticPages pages = StaticPages.serve("<script>window.__e2e = {done: true, ok: false, results: []};</script>")) {
            HeadlessChromium.PageReport report = HeadlessChromium.load(pages.url(),
                    Path.of("target/artifacts/headless-chromium-failing.png"), Duration.ofSeconds(60));
            assertThat(report.ok()).as(report.toString()).isFalse();
            assertThat(report.error()).isNull();
        }
    }
}
