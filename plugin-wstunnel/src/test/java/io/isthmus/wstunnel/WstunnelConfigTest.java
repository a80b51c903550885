package io.isthmus.wstunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isthmus.core.ValidatedConfig;
import io.isthmus.core.config.InvalidConfigException;
import io.isthmus.core.testing.TestGateways;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The config block's refusals, and tokens minted by wst-token passing the server's check. */
class WstunnelConfigTest {

    private static void refused(String hocon, String key) {
        assertThatThrownBy(() -> ValidatedConfig.of(TestGateways.config(hocon)))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining(key);
    }

    @Test
    void impossibleValuesAreRefusedWithTheirKey() {
        refused("isthmus.plugins.wstunnel.secrets = [\"short\"]", "isthmus.plugins.wstunnel.secrets[0]");
        refused("isthmus.plugins.wstunnel.secrets = [\"" + Jwts.A + "\", \"" + Jwts.B + "\", \"" + Jwts.A + "x\"]",
                "isthmus.plugins.wstunnel.secrets");
        refused("isthmus.plugins.wstunnel.max-message-size = 1m", "isthmus.plugins.wstunnel.max-message-size");
        refused("isthmus.plugins.wstunnel.url-prefix = \"ftp://x\"", "isthmus.plugins.wstunnel.url-prefix");
        refused("isthmus.plugins.wstunnel.ping-interval = 0s", "isthmus.plugins.wstunnel.ping-interval");
        assertThat(ValidatedConfig.of(TestGateways.config("")).core()).isNotNull();
    }

    @Test
    void mintedTokensPassAndRespectTheirLimits() {
        TunnelTokens tokens = new TunnelTokens(List.of(Jwts.A), "", Duration.ZERO, Duration.ofDays(31), Clock.systemUTC());
        String t = TunnelTokens.mint(Jwts.A, "c1", Duration.ofHours(96), null, Clock.systemUTC());
        assertThat(tokens.valid(t, "c1")).isTrue();
        assertThat(tokens.valid(t, "c2")).isFalse();
        String tooLong = TunnelTokens.mint(Jwts.A, "c1", Duration.ofDays(31), null, Clock.systemUTC());
        assertThat(tokens.valid(tooLong, "c1")).as("31 days plus the 15 min backdating").isFalse();
        Clock late = Clock.offset(Clock.systemUTC(), Duration.ofSeconds(5));
        TunnelTokens skewed = new TunnelTokens(List.of(Jwts.A), "", Duration.ofSeconds(10), Duration.ofDays(31), late);
        assertThat(skewed.valid(Jwts.t(Jwts.A, "c1", Jwts.now() + 1, Jwts.now() - 60), "c1")).isTrue();
        assertThat(tokens.valid(Jwts.t(Jwts.A, "c1", Jwts.now() - 1, Jwts.now() - 60), "c1")).isFalse();
    }
}
