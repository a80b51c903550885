package io.isthmus.webroute;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isthmus.core.Gateway;
import io.isthmus.core.config.ConfigBinder;
import io.isthmus.core.config.InvalidConfigException;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The plugin's block binds with its documented defaults, refuses impossible values by key, and can be turned off. */
class WebRouteConfigTest {

    static WebRouteConfig bind(String hocon) {
        return ConfigBinder.bind(TestGateways.config(hocon), "isthmus.plugins.webroute", WebRouteConfig.class);
    }

    @Test
    void defaults() {
        WebRouteConfig c = bind("");
        assertThat(c.enabled()).isTrue();
        assertThat(c.prefix()).isEqualTo("/");
        assertThat(c.defaultTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.maxWaiting()).isEqualTo(10_000);
        assertThat(c.maxWaitingPerIp()).isEqualTo(100);
        assertThat(c.linkGrace()).isEqualTo(Duration.ofMillis(25));
        assertThat(c.holdLimit().bytes()).isEqualTo(16 * 1024);
        assertThat(c.halfClose()).isFalse();
        assertThat(c.access().enabled()).isFalse();
        assertThat(c.access().rule().isOpen()).isTrue();
    }

    @Test
    void impossibleValuesNameTheirKey() {
        assertThatThrownBy(() -> bind("isthmus.plugins.webroute.max-waiting = 0"))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("isthmus.plugins.webroute.max-waiting");
        assertThatThrownBy(() -> bind("isthmus.plugins.webroute.prefix = webroute"))
                .hasMessageContaining("isthmus.plugins.webroute.prefix");
        assertThatThrownBy(() -> bind("isthmus.plugins.webroute.link-grace = 10s"))
                .hasMessageContaining("isthmus.plugins.webroute.link-grace");
        assertThatThrownBy(() -> bind("isthmus.plugins.webroute.default-timeout = 1ms"))
                .hasMessageContaining("isthmus.plugins.webroute.default-timeout");
        assertThatThrownBy(() -> bind("isthmus.plugins.webroute.max-wait = 3"))
                .hasMessageContaining("isthmus.plugins.webroute.max-wait").hasMessageContaining("unknown key");
        assertThatThrownBy(() -> bind("isthmus.plugins.webroute.access.enabled = true"))
                .hasMessageContaining("isthmus.plugins.webroute.access.query-parameter");
        assertThatThrownBy(() -> bind("isthmus.plugins.webroute.access { enabled = true, header = X-K }"))
                .hasMessageContaining("isthmus.plugins.webroute.access.value");
    }

    @Test
    void theSecretIsNeverPrinted() {
        WebRouteConfig c = bind("isthmus.plugins.webroute.access { enabled = true, header = X-K, value = hunter2 }");
        assertThat(c.toString()).doesNotContain("hunter2").contains("(secret)");
    }

    @Test
    void aDisabledPluginClaimsNothing() throws IOException {
        try (Gateway g = TestGateways.start("isthmus.plugins.webroute.enabled = false");
             RawClient c = new RawClient(g.address())) {
            c.send(Wire.request("off"));
            assertThat(c.readToEofAscii()).startsWith("HTTP/1.1 404 ");
        }
    }

    @Test
    void anotherPrefixLeavesTheRestAlone() throws IOException {
        try (Gateway g = TestGateways.start("isthmus.plugins.webroute.prefix = \"/wr/\"")) {
            try (RawClient c = new RawClient(g.address())) {
                c.send(Wire.request("elsewhere"));
                assertThat(c.readToEofAscii()).startsWith("HTTP/1.1 404 ");
            }
            try (RawClient a = Wire.park(g, Wire.request("/wr/x", "id")); RawClient b = Wire.send(g, Wire.request("/wr/x", "id"))) {
                assertThat(Wire.readAscii(a, 12)).isEqualTo("HTTP/1.1 101");
                assertThat(Wire.readAscii(b, 12)).isEqualTo("HTTP/1.1 101");
            }
        }
    }
}
