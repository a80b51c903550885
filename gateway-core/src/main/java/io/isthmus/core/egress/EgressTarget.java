package io.isthmus.core.egress;

import java.util.Objects;

/**
 * Where a plugin wants to connect, exactly as the client named it: a host (a DNS name or an IP address in
 * any spelling, IPv6 with or without brackets) and a port. Nothing is checked here; the policy judges it
 * and reports a malformed host or port as {@link EgressRefusal.Reason#INVALID_TARGET}.
 */
public record EgressTarget(String host, int port) {

    public EgressTarget {
        Objects.requireNonNull(host, "host");
    }

    /**
     * Whether the host is an IP address in any spelling the policy accepts ({@code 127.1}, {@code 0x7f.1},
     * {@code [::1]}...), not a name: for plugins that may refuse direct IPs (Wisp's {@code allow-direct-ip}).
     */
    public boolean isAddressLiteral() {
        try {
            return TargetHost.parse(host) instanceof TargetHost.Address;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
    }
}
