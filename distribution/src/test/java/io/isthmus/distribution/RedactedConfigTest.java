package io.isthmus.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Plugin blocks carry the secrets; they are written here directly since no plugin ships one yet. */
class RedactedConfigTest {

    private static final Config TREE = ConfigFactory.parseString("""
            isthmus {
              listen = "127.0.0.1:8080"
              tls { enabled = true, certificate = "/etc/isthmus/cert.pem", key = "/etc/isthmus/key.pem" }
              plugins {
                remoted { enabled = true, server-keys = ["srv-SECRET-1", "srv-SECRET-2"], client-keys = [] }
                wstunnel { secrets = ["jwt-SECRET"], audience = "gw", max-token-bytes = 4k, token-ttl = 1h }
                bare { upstream { password = "pw-SECRET", username = "alice" } }
                admin-api { api-key = "api-SECRET", token = "tok-SECRET", key-file = "/etc/isthmus/api.key" }
                vault { credentials { current = "cur-SECRET", previous = 12345 }, require-token = true }
              }
            }
            """);

    private final String rendered = RedactedConfig.render(TREE);

    @Test
    void noSecretValueSurvives() {
        assertThat(rendered).doesNotContain("SECRET").doesNotContain("12345");
    }

    @Test
    void listsKeepTheirLengthSoOperatorsSeeHowManyAreSet() {
        Config back = ConfigFactory.parseString(rendered);
        assertThat(back.getStringList("isthmus.plugins.remoted.server-keys"))
                .containsExactly(RedactedConfig.MASK, RedactedConfig.MASK);
        assertThat(back.getStringList("isthmus.plugins.remoted.client-keys")).isEmpty();
        assertThat(back.getStringList("isthmus.plugins.wstunnel.secrets")).containsExactly(RedactedConfig.MASK);
    }

    @Test
    void pathsSizesDurationsAndOrdinaryValuesStayVisible() {
        Config back = ConfigFactory.parseString(rendered);
        assertThat(back.getString("isthmus.tls.key")).isEqualTo("/etc/isthmus/key.pem");
        assertThat(back.getString("isthmus.plugins.admin-api.key-file")).isEqualTo("/etc/isthmus/api.key");
        assertThat(back.getString("isthmus.plugins.wstunnel.max-token-bytes")).isEqualTo("4k");
        assertThat(back.getString("isthmus.plugins.wstunnel.token-ttl")).isEqualTo("1h");
        assertThat(back.getString("isthmus.plugins.wstunnel.audience")).isEqualTo("gw");
        assertThat(back.getString("isthmus.plugins.bare.upstream.username")).isEqualTo("alice");
        assertThat(back.getBoolean("isthmus.plugins.vault.require-token")).isTrue();
        assertThat(back.getString("isthmus.plugins.vault.credentials.previous")).isEqualTo(RedactedConfig.MASK);
    }

    @ParameterizedTest
    @ValueSource(strings = {"key", "keys", "api-key", "server-keys", "secret", "secrets", "jwt-secret",
            "password", "token", "refresh-tokens", "credentials"})
    void secretNames(String name) {
        assertThat(RedactedConfig.isSecretName(name)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"max-token-bytes", "token-ttl", "key-file", "monkey", "keyboard", "listen",
            "max-keys", "token-header", "audience"})
    void notSecretNames(String name) {
        assertThat(RedactedConfig.isSecretName(name)).isFalse();
    }
}
