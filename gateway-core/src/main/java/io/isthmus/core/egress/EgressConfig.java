package io.isthmus.core.egress;

import java.time.Duration;
import java.util.List;

/**
 * The operator's egress rules ({@code isthmus.egress}); plugins add their own {@link EgressRules} on top.
 * The lists are validated as {@link EgressRules} validates them.
 */
public record EgressConfig(List<String> allowCidrs, List<String> denyCidrs, List<String> allowHosts,
                           List<String> denyHosts, List<String> allowPorts, List<String> denyPorts,
                           Duration connectTimeout) {

    public EgressConfig {
        EgressRules checked = new EgressRules(allowCidrs, denyCidrs, allowHosts, denyHosts, allowPorts, denyPorts);
        allowCidrs = checked.allowCidrs();
        denyCidrs = checked.denyCidrs();
        allowHosts = checked.allowHosts();
        denyHosts = checked.denyHosts();
        allowPorts = checked.allowPorts();
        denyPorts = checked.denyPorts();
        if (connectTimeout == null || connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("connect-timeout must be positive");
        }
        if (connectTimeout.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("connect-timeout must be under 24 days");
        }
    }

    /** Only public unicast, 5 s to connect: the built-in default, for tests and embedders. */
    public static EgressConfig defaults() {
        return new EgressConfig(List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), Duration.ofSeconds(5));
    }

    public EgressRules rules() {
        return new EgressRules(allowCidrs, denyCidrs, allowHosts, denyHosts, allowPorts, denyPorts);
    }
}
