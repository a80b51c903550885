package io.isthmus.core.egress;

import java.time.Duration;
import java.util.List;

/**
 * The operator's egress rules ({@code isthmus.egress}); plugins add their own {@link EgressRules} on top.
 */
public record EgressConfig(List<String> allowCidrs, List<String> denyCidrs, List<String> allowHosts,
                           List<String> denyHosts, List<String> allowPorts, List<String> denyPorts,
                           Duration connectTimeout) {

    public EgressRules rules() {
        return new EgressRules(allowCidrs, denyCidrs, allowHosts, denyHosts, allowPorts, denyPorts);
    }
}
