package io.isthmus.core.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Loads a page in Debian's real headless Chromium, driven by playwright-core ({@code testing/npm/run-page.cjs}),
 * and returns what the page reported.
 *
 * <p>The page under test runs its checks itself and ends by setting
 * {@code window.__e2e = {done: true, ok: <boolean>, results: [...]}}; the runner waits for {@code done},
 * keeps a screenshot (an artifact under the module's {@code target/}), and prints the page's report with its
 * console lines. Chromium is required: when it is missing the run fails and says how to install it.
 */
public final class HeadlessChromium {

    private static final List<String> BINARIES = List.of("/usr/bin/chromium", "/usr/lib/chromium/chromium");
    private static final ObjectMapper JSON = new ObjectMapper();

    private HeadlessChromium() {
    }

    /** The page's report: {@code ok} and {@code e2e} as the page set them, plus its console and any runner error. */
    public record PageReport(boolean ok, JsonNode e2e, JsonNode console, String error, String raw) {

        @Override
        public String toString() {
            return raw;
        }
    }

    /** The Chromium binary, or a failure that tells how to install it. */
    public static Path binary() {
        return BINARIES.stream().map(Path::of).filter(Files::isExecutable).findFirst()
                .orElseThrow(() -> new AssertionError("chromium is not installed (looked in " + BINARIES
                        + "); run ./test.sh, or: apt-get install -y --no-install-recommends chromium"));
    }

    /**
     * Opens {@code url}, waits at most {@code limit} for the page's {@code window.__e2e.done}, and saves a
     * screenshot to {@code screenshot} (its folder is created).
     */
    public static PageReport load(String url, Path screenshot, Duration limit) throws IOException, InterruptedException {
        return load(url, screenshot, limit, null);
    }

    /**
     * As {@link #load(String, Path, Duration)}, with {@code initScript} (may be null) run in the page before
     * its own scripts: for a page the test does not own, the script does the checks and sets
     * {@code window.__e2e}, on the page's own origin.
     */
    public static PageReport load(String url, Path screenshot, Duration limit, Path initScript)
            throws IOException, InterruptedException {
        Path chromium = binary();
        Files.createDirectories(screenshot.toAbsolutePath().getParent());
        Path runner = NodeScripts.testingDir().resolve("npm/run-page.cjs");
        List<String> args = new java.util.ArrayList<>(
                List.of(url, screenshot.toAbsolutePath().toString(), Long.toString(limit.toMillis())));
        if (initScript != null) {
            args.add(initScript.toAbsolutePath().toString());
        }
        NodeScripts.Run run = NodeScripts.run(runner, args,
                Map.of("CHROMIUM", chromium.toString()), limit.plusSeconds(30));
        String line = run.lastLine();
        JsonNode report;
        try {
            report = JSON.readTree(line);
        } catch (IOException e) {
            throw new AssertionError("the page runner printed no report: " + run, e);
        }
        return new PageReport(report.path("ok").asBoolean(false), report.path("e2e"), report.path("console"),
                report.path("error").isNull() ? null : report.path("error").asText(), line);
    }
}
