package io.isthmus.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.HeadlessChromium;
import io.isthmus.core.testing.LeakGuard;
import io.isthmus.core.testing.TestGateways;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin status page in a real headless Chromium, while WebRoute pairs are linked: every figure it
 * shows matches {@code /metrics} (the check runs inside the page, on its origin: status-page-check.js).
 * The screenshot is kept as target/artifacts/status-page.png (docs/status-page.png is a copy of one).
 */
@ExtendWith(LeakGuard.class)
class StatusPageBrowserTest {

    @TempDir
    Path dir;

    @Test
    void theFiguresOnThePageMatchMetrics() throws Exception {
        Path check = dir.resolve("status-page-check.js");
        try (InputStream in = getClass().getResourceAsStream("status-page-check.js")) {
            Files.copy(in, check, StandardCopyOption.REPLACE_EXISTING);
        }
        try (Gateway gateway = TestGateways.start(TrafficMix.config());
             TrafficMix traffic = TrafficMix.start(gateway, 3)) {
            String url = "http://127.0.0.1:" + gateway.adminAddress().getPort() + "/status";
            Path shot = Path.of("target/artifacts/status-page.png");
            HeadlessChromium.PageReport report = HeadlessChromium.load(url, shot, Duration.ofSeconds(60), check);
            assertThat(report.ok()).as(report.toString()).isTrue();
            assertThat(report.e2e().path("compared").asInt()).isGreaterThanOrEqualTo(15);
            assertThat(Files.size(shot)).isPositive();
        }
    }
}
