package io.isthmus.webroute;

import static io.isthmus.core.config.ConfigValueException.require;

import io.isthmus.core.config.ByteSize;
import io.isthmus.core.spi.PluginConfig;
import io.isthmus.webroute.handshake.AccessRule;
import java.time.Duration;

/**
 * The {@code isthmus.plugins.webroute} block; every key and its default is documented in this module's
 * {@code reference.conf}.
 */
public record WebRouteConfig(
        boolean enabled,
        String prefix,
        Duration defaultTimeout,
        int maxWaiting,
        int maxWaitingPerIp,
        Duration linkGrace,
        ByteSize holdLimit,
        boolean halfClose,
        AccessConfig access) implements PluginConfig {

    public WebRouteConfig {
        require(prefix != null && prefix.startsWith("/"), "prefix", "must start with '/'");
        require(defaultTimeout.compareTo(Duration.ofMillis(100)) >= 0 && defaultTimeout.compareTo(Duration.ofDays(1)) <= 0,
                "default-timeout", "must be between 100ms and 1d");
        require(maxWaiting >= 1, "max-waiting", "must be at least 1");
        require(maxWaitingPerIp >= 1, "max-waiting-per-ip", "must be at least 1");
        require(!linkGrace.isNegative() && linkGrace.compareTo(Duration.ofSeconds(5)) <= 0,
                "link-grace", "must be between 0 and 5s");
        require(holdLimit.bytes() <= 16L << 20, "hold-limit", "must be at most 16m");
    }

    /**
     * Optional access control: a secret every client must present, in a query parameter or a header.
     *
     * @param value the secret; never logged
     */
    public record AccessConfig(boolean enabled, String queryParameter, String header, String value) {

        public AccessConfig {
            if (enabled) {
                require(queryParameter.isEmpty() != header.isEmpty(), "query-parameter",
                        "set exactly one of query-parameter and header when access is enabled");
                require(!value.isEmpty(), "value", "access needs a secret value (or ISTHMUS_WEBROUTE_ACCESS_VALUE)");
            }
        }

        public AccessRule rule() {
            if (!enabled) {
                return AccessRule.open();
            }
            return header.isEmpty() ? AccessRule.queryParameter(queryParameter, value) : AccessRule.header(header, value);
        }

        @Override
        public String toString() {
            return "AccessConfig[enabled=" + enabled + ", query-parameter=" + queryParameter + ", header=" + header
                    + ", value=" + (value.isEmpty() ? "" : "(secret)") + "]";
        }
    }
}
