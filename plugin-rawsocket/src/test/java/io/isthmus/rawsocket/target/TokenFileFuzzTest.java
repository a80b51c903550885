package io.isthmus.rawsocket.target;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.isthmus.core.config.HostPort;
import io.isthmus.core.fuzz.FuzzSupport;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;

/**
 * websockify token files ({@code NAME: host:port} lines) into {@link TokenFile#parse}: the input as UTF-8,
 * split into lines as {@code Files.readAllLines} splits them (LF, CR, CRLF).
 *
 * <p>Properties: nothing throws (a bad line is skipped); every entry has a non-empty name without a colon
 * or surrounding whitespace, a non-empty host and a port 1-65535; writing the entries back as a token file
 * and reading it again gives the same map.
 */
class TokenFileFuzzTest {

    @BeforeAll
    static void setUp() {
        FuzzSupport.beforeFuzzTests();
    }

    @FuzzTest(maxDuration = "60s")
    void parse(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        Map<String, HostPort> entries = TokenFile.parse(lines(text), "fuzz");
        List<String> written = new ArrayList<>();
        entries.forEach((name, target) -> {
            assertThat(name).as("name in %s", FuzzSupport.hex(data)).isNotEmpty().doesNotContain(":").isEqualTo(name.strip());
            assertThat(target.host()).as("host in %s", FuzzSupport.hex(data)).isNotEmpty();
            assertThat(target.port()).as("port in %s", FuzzSupport.hex(data)).isBetween(1, 65535);
            String host = target.host();
            boolean bracket = host.indexOf(':') >= 0 || host.startsWith("[") && host.endsWith("]");
            written.add(name + ": " + (bracket ? "[" + host + "]" : host) + ":" + target.port());
        });
        assertThat(TokenFile.parse(written, "again")).as("entries of %s written back", FuzzSupport.hex(data)).isEqualTo(entries);
    }

    /** As {@code BufferedReader.readLine}: LF, CR or CRLF ends a line. */
    private static List<String> lines(String text) {
        return text.lines().toList();
    }
}
