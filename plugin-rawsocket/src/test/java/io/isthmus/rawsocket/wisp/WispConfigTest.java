package io.isthmus.rawsocket.wisp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isthmus.core.ValidatedConfig;
import io.isthmus.core.config.InvalidConfigException;
import io.isthmus.core.testing.TestGateways;
import org.junit.jupiter.api.Test;

/** The {@code wisp} block: defaults bind, impossible values stop start-up naming the key, secrets stay out of logs. */
class WispConfigTest {

    private static void refused(String hocon, String key) {
        assertThatThrownBy(() -> ValidatedConfig.of(TestGateways.config(hocon)))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining(key);
    }

    @Test
    void impossibleValuesNameTheirKey() {
        refused("isthmus.plugins.rawsocket.wisp.path = \"/sockets/wisp\"", "wisp.path");
        refused("isthmus.plugins.rawsocket.wisp.continue-every = 200", "wisp.continue-every");
        refused("isthmus.plugins.rawsocket.wisp.max-streams = 0", "wisp.max-streams");
        refused("isthmus.plugins.rawsocket.wisp.password.required = true", "wisp.password.users");
        refused("isthmus.plugins.rawsocket.wisp.direct-sockets-script = \"x.js\"", "wisp.direct-sockets-script");
        refused("isthmus.plugins.rawsocket.wisp.nope = 1", "wisp.nope");
    }

    @Test
    void passwordsNeverPrint() {
        WispConfig.Password p = new WispConfig.Password(true, java.util.Map.of("alice", "s3cret"));
        assertThat(p.toString()).contains("alice").doesNotContain("s3cret");
    }
}
