package io.isthmus.core.egress;

import java.util.List;

/** Allow and deny lists as written in config: CIDRs, host patterns and port ranges. */
public record EgressRules(List<String> allowCidrs, List<String> denyCidrs, List<String> allowHosts,
                          List<String> denyHosts, List<String> allowPorts, List<String> denyPorts) {

    public static EgressRules none() {
        return new EgressRules(List.of(), List.of(), List.of(), List.of(), List.of(), List.of());
    }
}
