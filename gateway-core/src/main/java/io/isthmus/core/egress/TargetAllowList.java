package io.isthmus.core.egress;

import java.util.List;

/**
 * A narrowing rule a plugin endpoint may add on top of the egress policy: when a list is not empty, only
 * targets on it are dialed. Hosts are names ({@code exact.name}, {@code *.suffix}, matched on the canonical
 * name) or CIDRs (matched against an IP literal in any spelling); ports are ports or ranges. The rule never
 * widens anything: a target it permits still has to pass the {@link EgressPolicy}.
 */
public final class TargetAllowList {

    private static final TargetAllowList ANY = new TargetAllowList(List.of(), List.of(), List.of());

    private final List<HostPattern> names;
    private final List<Cidr> cidrs;
    private final List<PortRange> ports;

    private TargetAllowList(List<HostPattern> names, List<Cidr> cidrs, List<PortRange> ports) {
        this.names = names;
        this.cidrs = cidrs;
        this.ports = ports;
    }

    /** Allows every target (the policy alone decides). */
    public static TargetAllowList any() {
        return ANY;
    }

    /**
     * Parses config lists; an entry that is neither a host pattern nor a CIDR (or not a port range) throws
     * an {@link IllegalArgumentException} naming its index.
     */
    public static TargetAllowList of(List<String> hosts, List<String> ports) {
        List<HostPattern> names = new java.util.ArrayList<>();
        List<Cidr> cidrs = new java.util.ArrayList<>();
        for (int i = 0; i < hosts.size(); i++) {
            String h = hosts.get(i);
            try {
                if (h != null && h.indexOf('/') >= 0) {
                    cidrs.add(Cidr.parse(h));
                } else {
                    names.add(HostPattern.parse(h));
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("allow-hosts[" + i + "]: " + e.getMessage(), e);
            }
        }
        List<PortRange> ranges = new java.util.ArrayList<>();
        for (int i = 0; i < ports.size(); i++) {
            try {
                ranges.add(PortRange.parse(ports.get(i)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("allow-ports[" + i + "]: " + e.getMessage(), e);
            }
        }
        return new TargetAllowList(List.copyOf(names), List.copyOf(cidrs), List.copyOf(ranges));
    }

    /** Whether {@code target} is on the list (a malformed host never is, unless the host list is empty). */
    public boolean permits(EgressTarget target) {
        if (!ports.isEmpty() && ports.stream().noneMatch(r -> r.contains(target.port()))) {
            return false;
        }
        if (names.isEmpty() && cidrs.isEmpty()) {
            return true;
        }
        TargetHost host;
        try {
            host = TargetHost.parse(target.host());
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (host instanceof TargetHost.Name n) {
            return names.stream().anyMatch(p -> p.matches(n.name()));
        }
        byte[] address = ((TargetHost.Address) host).bytes();
        return cidrs.stream().anyMatch(c -> c.contains(address));
    }
}
