package io.isthmus.bare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isthmus.core.config.ConfigBinder;
import io.isthmus.core.testing.TestGateways;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The plugin's block binds from reference.conf with the documented defaults, and refuses impossible values by key. */
class BareConfigTest {

    private static BareConfig bind(String hocon) {
        return ConfigBinder.bind(TestGateways.config(hocon), "isthmus.plugins.bare", BareConfig.class);
    }

    @Test
    void defaults() {
        BareConfig c = bind("");
        assertThat(c.prefix()).isEqualTo("/bare/");
        assertThat(c.legacyVersions()).isTrue();
        assertThat(c.metaExpiry()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.rateLimit().enabled()).isFalse();
        assertThat(c.upstream().maxIdlePerOrigin()).isEqualTo(64);
        assertThat(c.upstream().trustCertificates()).isEmpty();
        assertThat(c.websocket().connectMessageTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.egress().allowCidrs()).isEmpty();
    }

    @Test
    void refusals() {
        assertThatThrownBy(() -> bind("isthmus.plugins.bare.prefix = \"/bare\"")).hasMessageContaining("isthmus.plugins.bare.prefix")
                .hasMessageContaining("must end with '/'");
        assertThatThrownBy(() -> bind("isthmus.plugins.bare.upstream.max-idle-per-origin = -1"))
                .hasMessageContaining("max-idle-per-origin");
        assertThatThrownBy(() -> bind("isthmus.plugins.bare.rate-limit.requests = 0")).hasMessageContaining("requests");
        assertThatThrownBy(() -> bind("isthmus.plugins.bare.upstream.no-such-key = 1")).hasMessageContaining("no-such-key");
        assertThatThrownBy(() -> bind("isthmus.plugins.bare.egress.allow-cidrs = [\"not-a-cidr\"]")).hasMessageContaining("allow-cidrs");
    }
}
