package io.isthmus.remoted;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isthmus.core.Gateway;
import io.isthmus.core.ValidatedConfig;
import io.isthmus.core.config.InvalidConfigException;
import io.isthmus.core.testing.TestGateways;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Keys, config validation and the start-up announcement of generated keys. */
class RemotedUnitsTest {

    @Test
    void keysGrantTheirRolesAndNothingElse() {
        ApiKeys keys = new ApiKeys(List.of("server-key-aaaaaaaaaaaa", "server-key-bbbbbbbbbbbb"), List.of("client-key-cccccccccccc"));
        assertThat(keys.roleOf("server-key-aaaaaaaaaaaa")).isEqualTo(ApiKeys.Role.SERVER);
        assertThat(keys.roleOf("server-key-bbbbbbbbbbbb")).isEqualTo(ApiKeys.Role.SERVER);
        assertThat(keys.roleOf("client-key-cccccccccccc")).isEqualTo(ApiKeys.Role.CLIENT);
        assertThat(keys.roleOf("client-key-ccccccccccc")).isEqualTo(ApiKeys.Role.NONE);
        assertThat(keys.roleOf("")).isEqualTo(ApiKeys.Role.NONE);
        assertThat(keys.roleOf(null)).isEqualTo(ApiKeys.Role.NONE);
    }

    private static String invalid(String hocon) {
        try {
            ValidatedConfig.of(TestGateways.config(hocon));
        } catch (InvalidConfigException e) {
            return e.getMessage();
        }
        throw new AssertionError("accepted: " + hocon);
    }

    @Test
    void badKeysAndTimingsAreRefusedWithTheirPaths() {
        assertThat(invalid("isthmus.plugins.remoted.server-keys = [short]")).startsWith("isthmus.plugins.remoted.server-keys[0]");
        assertThat(invalid("isthmus.plugins.remoted { server-keys = [\"same-key-0123456789\"], client-keys = [\"same-key-0123456789\"] }"))
                .startsWith("isthmus.plugins.remoted.client-keys").contains("both");
        assertThat(invalid("isthmus.plugins.remoted { ping-interval = 30s, dead-peer-timeout = 10s }"))
                .startsWith("isthmus.plugins.remoted.dead-peer-timeout");
        assertThat(invalid("isthmus.plugins.remoted.prefix = nope")).startsWith("isthmus.plugins.remoted.prefix");
    }

    @Test
    void missingKeysAreGeneratedAndAnnouncedOnceOnStandardOutput() {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try (Gateway g = TestGateways.start("")) {
            assertThat(g.isReady()).isTrue();
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertThat(out).contains("remoted: no server key configured; generated for this run: ")
                .contains("rws://").contains("remoted: no client key configured").contains("rwr://")
                .contains("ISTHMUS_REMOTED_SERVER_KEY");
        assertThat(out.split("generated for this run", -1)).hasSize(3);
    }

    @Test
    void configuredKeysAreNeverPrinted() {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try (Gateway g = TestGateways.start("isthmus.plugins.remoted { server-keys = [\"server-secret-0123456789\"], client-keys = [\"client-secret-0123456789\"] }")) {
            assertThat(g.isReady()).isTrue();
        } finally {
            System.setOut(original);
        }
        assertThat(captured.toString(StandardCharsets.UTF_8)).doesNotContain("server-secret").doesNotContain("client-secret")
                .doesNotContain("generated");
    }
}
