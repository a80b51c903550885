package io.isthmus.core.egress;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Allow and deny lists as written in config: CIDRs, host patterns ({@code exact.name}, {@code *.suffix})
 * and ports ({@code "443"}, {@code "8000-8099"}). Every entry is checked here, so a malformed one stops
 * start-up with the key that holds it; {@link EgressPolicy} compiles the lists.
 */
public record EgressRules(List<String> allowCidrs, List<String> denyCidrs, List<String> allowHosts,
                          List<String> denyHosts, List<String> allowPorts, List<String> denyPorts) {

    public EgressRules {
        allowCidrs = checked("allow-cidrs", allowCidrs, Cidr::parse);
        denyCidrs = checked("deny-cidrs", denyCidrs, Cidr::parse);
        allowHosts = checked("allow-hosts", allowHosts, HostPattern::parse);
        denyHosts = checked("deny-hosts", denyHosts, HostPattern::parse);
        allowPorts = checked("allow-ports", allowPorts, PortRange::parse);
        denyPorts = checked("deny-ports", denyPorts, PortRange::parse);
    }

    public static EgressRules none() {
        return new EgressRules(List.of(), List.of(), List.of(), List.of(), List.of(), List.of());
    }

    /** These rules with {@code more} added: a plugin's rules widen or narrow the operator's, lists concatenate. */
    public EgressRules and(EgressRules more) {
        return new EgressRules(concat(allowCidrs, more.allowCidrs), concat(denyCidrs, more.denyCidrs),
                concat(allowHosts, more.allowHosts), concat(denyHosts, more.denyHosts),
                concat(allowPorts, more.allowPorts), concat(denyPorts, more.denyPorts));
    }

    private static List<String> checked(String key, List<String> values, Consumer<String> parse) {
        if (values == null) {
            return List.of();
        }
        for (int i = 0; i < values.size(); i++) {
            String value = values.get(i);
            if (value == null) {
                throw new IllegalArgumentException(key + "[" + i + "]: null");
            }
            try {
                parse.accept(value);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(key + "[" + i + "]: " + e.getMessage(), e);
            }
        }
        return List.copyOf(values);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
