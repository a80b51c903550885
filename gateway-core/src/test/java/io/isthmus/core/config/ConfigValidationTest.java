package io.isthmus.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isthmus.core.ValidatedConfig;
import io.isthmus.core.testing.TestGateways;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Start-up refuses a bad tree with one line that names the key path. */
class ConfigValidationTest {

    private static InvalidConfigException invalid(String hocon) {
        try {
            ValidatedConfig.of(TestGateways.config(hocon));
        } catch (InvalidConfigException e) {
            return e;
        }
        throw new AssertionError("config was accepted: " + hocon);
    }

    @Test
    void theEmbeddedDefaultsAreValid() {
        ValidatedConfig v = ValidatedConfig.of(ConfigLoader.load(null));
        assertThat(v.core().listen()).isEqualTo("127.0.0.1:8080");
        assertThat(v.core().admin().listen()).isEqualTo("127.0.0.1:9090");
        assertThat(v.core().limits().maxRequestLine().bytes()).isEqualTo(8192);
        assertThat(v.core().limits().maxHeadBytes().bytes()).isEqualTo(16384);
        assertThat(v.core().limits().maxHeaders()).isEqualTo(100);
        assertThat(v.core().limits().headTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(v.core().shutdown().drainTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(v.core().egress().connectTimeout()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void anUnknownKeyNamesItsPath() {
        InvalidConfigException e = invalid("isthmus.limits.max-headerz = 3");
        assertThat(e.getMessage()).startsWith("isthmus.limits.max-headerz").contains("unknown key");
        assertThat(e.getMessage()).doesNotContain("\n");
    }

    @Test
    void anUnknownTopLevelKeyNamesItsPath() {
        assertThat(invalid("isthmus.lisen = \"127.0.0.1:1\"").getMessage()).startsWith("isthmus.lisen").contains("unknown key");
    }

    @Test
    void aWrongTypeNamesItsPathAndTheExpectedType() {
        InvalidConfigException e = invalid("isthmus.limits.max-headers = lots");
        assertThat(e.getMessage()).startsWith("isthmus.limits.max-headers").contains("whole number");
    }

    @Test
    void aBadDurationNamesItsPath() {
        InvalidConfigException e = invalid("isthmus.limits.head-timeout = soon");
        assertThat(e.getMessage()).startsWith("isthmus.limits.head-timeout").contains("duration");
    }

    @Test
    void aBadSizeNamesItsPath() {
        assertThat(invalid("isthmus.limits.max-head-bytes = huge").getMessage())
                .startsWith("isthmus.limits.max-head-bytes").contains("size");
    }

    @Test
    void anImpossibleValueNamesItsPathAndTheRule() {
        assertThat(invalid("isthmus.limits.max-headers = 0").getMessage())
                .startsWith("isthmus.limits").contains("max-headers must be at least 1");
        assertThat(invalid("isthmus.listen = nonsense").getMessage()).startsWith("isthmus.listen").contains("host:port");
        assertThat(invalid("isthmus.transport = carrier-pigeon").getMessage()).startsWith("isthmus.transport");
        assertThat(invalid("isthmus.splice { low-water-mark = 1m, high-water-mark = 64k }").getMessage())
                .startsWith("isthmus.splice").contains("low-water-mark");
        assertThat(invalid("isthmus.tls.enabled = true").getMessage()).startsWith("isthmus.tls").contains("certificate");
    }

    @Test
    void anUnknownPluginBlockIsRefused() {
        assertThat(invalid("isthmus.plugins.nosuch { enabled = true }").getMessage())
                .startsWith("isthmus.plugins.nosuch").contains("no such plugin").contains("probe");
    }

    @Test
    void aPluginKeyIsValidatedWithItsPath() {
        assertThat(invalid("isthmus.plugins.probe.idle-timeout = forever").getMessage())
                .startsWith("isthmus.plugins.probe.idle-timeout");
        assertThat(invalid("isthmus.plugins.probe.colour = blue").getMessage())
                .startsWith("isthmus.plugins.probe.colour").contains("unknown key");
    }

    @Test
    void aMissingFileIsNamed() {
        assertThatThrownBy(() -> ConfigLoader.load(java.nio.file.Path.of("/nonexistent/isthmus.conf")))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("no such file");
    }

    @Test
    void aSyntaxErrorIsOneLine() {
        assertThatThrownBy(() -> ConfigLoader.loadString("isthmus { listen = "))
                .isInstanceOf(InvalidConfigException.class);
    }

    @Test
    void theFileOverridesTheReference() {
        ValidatedConfig v = ValidatedConfig.of(ConfigLoader.loadString("isthmus.limits.max-headers = 50"));
        assertThat(v.core().limits().maxHeaders()).isEqualTo(50);
    }

    @Test
    void sizesAndDurationsAcceptHoconUnits() {
        ValidatedConfig v = ValidatedConfig.of(ConfigLoader.loadString("""
                isthmus.limits { max-head-bytes = 32KiB, head-timeout = 1500ms }
                isthmus.splice.idle-timeout = 2 hours
                """));
        assertThat(v.core().limits().maxHeadBytes().bytes()).isEqualTo(32768);
        assertThat(v.core().limits().headTimeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(v.core().splice().idleTimeout()).isEqualTo(Duration.ofHours(2));
    }
}
