package io.isthmus.remoted.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.isthmus.core.fuzz.FuzzSupport;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;

/**
 * The gateway's notification to a registered server ({@code {"ipaddr":"ip:port","id":"<ID>","timeout":N}})
 * against arbitrary text (the input, as UTF-8). In this package, not in a {@code fuzz} one, because
 * {@link Notification} is package-private.
 *
 * <p>Properties: {@code parse} never throws (a WebSocket text frame from a misbehaving or hostile gateway
 * must not kill the SDK's listener); what it takes has an ID, a client address that is either absent or an
 * unresolved address with a valid port, and a timeout only when the JSON had a whole number that fits an int.
 */
class NotificationFuzzTest {

    @BeforeAll
    static void setUp() {
        FuzzSupport.beforeFuzzTests();
    }

    @FuzzTest(maxDuration = "60s")
    void parse(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        Optional<Notification> parsed = Notification.parse(text);
        assertThat(parsed).as("notification for %s", FuzzSupport.hex(data)).isNotNull();
        parsed.ifPresent(n -> {
            assertThat(n.id()).isNotNull();
            if (n.client() != null) {
                assertThat(n.client().isUnresolved()).as("no DNS for %s", n.client()).isTrue();
                assertThat(n.client().getPort()).isBetween(0, 65535);
                assertThat(n.client().getHostString()).isNotNull();
            }
        });
    }
}
