package io.isthmus.core.egress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.isthmus.core.config.ConfigBinder;
import io.isthmus.core.config.InvalidConfigException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A malformed entry stops start-up with a message that names the list, the entry and what was expected. */
class EgressConfigValidationTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "allow-cidrs | 10.0.0.0/33     | allow-cidrs[0]: '10.0.0.0/33': the prefix length must be 0 to 32 for IPv4",
            "deny-cidrs  | fc00::/129      | deny-cidrs[0]: 'fc00::/129': the prefix length must be 0 to 128 for IPv6",
            "allow-cidrs | abc             | allow-cidrs[0]: 'abc' is not an IP address or CIDR",
            "allow-cidrs | 10.0.0.0/        | allow-cidrs[0]: '10.0.0.0/': the prefix length must be 0 to 32",
            "allow-cidrs | 010.0.0.0/8     | allow-cidrs[0]: '010.0.0.0/8' is not an IP address or CIDR",
            "deny-cidrs  | 10.0.0.1/8      | deny-cidrs[0]: '10.0.0.1/8' has address bits set past the /8 prefix (did you mean 10.0.0.0/8?)",
            "allow-ports | 70000           | allow-ports[0]: '70000': a port is 0 to 65535",
            "deny-ports  | 90-80           | deny-ports[0]: '90-80': the first port is above the last",
            "allow-ports | http            | allow-ports[0]: 'http' is not a port or port range",
            "allow-ports | 80-             | allow-ports[0]: '80-' is not a port or port range",
            "allow-hosts | *.*.example.com | allow-hosts[0]: '*.*.example.com': a host pattern is a name or '*.' followed by a name",
            "deny-hosts  | exa mple.com    | deny-hosts[0]: 'exa mple.com' is not a host pattern",
            "deny-hosts  | 10.0.0.1        | deny-hosts[0]: '10.0.0.1' is an address, not a host name; use allow-cidrs or deny-cidrs",
            "deny-hosts  | *               | deny-hosts[0]: '*': a host pattern is a name or '*.' followed by a name"})
    void rejectsMalformedEntriesWithClearMessages(String key, String value, String message) {
        assertThatThrownBy(() -> rulesWith(key, value))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(message);
    }

    @Test
    void namesTheIndexOfTheBadEntry() {
        assertThatThrownBy(() -> new EgressRules(List.of("10.0.0.0/8", "192.168.0.0/16", "300.0.0.0/8"), List.of(),
                List.of(), List.of(), List.of(), List.of()))
                .hasMessageStartingWith("allow-cidrs[2]: '300.0.0.0/8'");
    }

    @Test
    void acceptsWellFormedEntries() {
        EgressRules rules = new EgressRules(List.of("10.0.0.0/8", "fc00::/7", "192.0.2.1", "::ffff:10.0.0.0/104", "0.0.0.0/0"),
                List.of("::/0"), List.of("api.example.com", "*.internal", "LOCALHOST."), List.of("*.local"),
                List.of("443", "8000-8099", "0-65535"), List.of("25"));
        assertThat(EgressPolicy.of(rules)).isNotNull();
    }

    @Test
    void connectTimeoutMustBePositive() {
        assertThatThrownBy(() -> new EgressConfig(List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), Duration.ZERO))
                .hasMessage("connect-timeout must be positive");
    }

    @Test
    void configBindingReportsTheKeyPath() {
        Config config = ConfigFactory.parseString("""
                isthmus.egress {
                  allow-cidrs = ["10.0.0.0/33"], deny-cidrs = [], allow-hosts = [], deny-hosts = []
                  allow-ports = [], deny-ports = [], connect-timeout = 5s
                }""");
        assertThatThrownBy(() -> ConfigBinder.bind(config, "isthmus.egress", EgressConfig.class))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("isthmus.egress")
                .hasMessageContaining("allow-cidrs[0]: '10.0.0.0/33': the prefix length must be 0 to 32 for IPv4");
    }

    @Test
    void portsMayBeWrittenAsNumbers() {
        Config config = ConfigFactory.parseString("""
                isthmus.egress {
                  allow-cidrs = [], deny-cidrs = [], allow-hosts = [], deny-hosts = []
                  allow-ports = [443, "8000-8099"], deny-ports = [25], connect-timeout = 2s
                }""");
        EgressConfig bound = ConfigBinder.bind(config, "isthmus.egress", EgressConfig.class);
        assertThat(bound.allowPorts()).containsExactly("443", "8000-8099");
        assertThat(EgressPolicy.of(bound.rules()).check(new EgressTarget("1.1.1.1", 25))).isPresent();
    }

    @Test
    void theShippedDefaultsBind() {
        EgressConfig config = ConfigBinder.bind(ConfigFactory.defaultReference(), "isthmus.egress", EgressConfig.class);
        assertThat(config.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.rules()).isEqualTo(EgressRules.none());
    }

    private static EgressRules rulesWith(String key, String value) {
        List<List<String>> lists = new ArrayList<>();
        List<String> keys = List.of("allow-cidrs", "deny-cidrs", "allow-hosts", "deny-hosts", "allow-ports", "deny-ports");
        for (String k : keys) {
            lists.add(k.equals(key) ? List.of(value) : List.of());
        }
        assertThat(keys).contains(key);
        return new EgressRules(lists.get(0), lists.get(1), lists.get(2), lists.get(3), lists.get(4), lists.get(5));
    }
}
