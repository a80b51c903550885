package io.isthmus.webroute.pairing;

/**
 * Caps on waiting connections, so that parked sockets cannot exhaust memory or file descriptors.
 *
 * @param maxWaiting       waiting connections in all
 * @param maxWaitingPerIp  waiting connections from one client: one IPv4 address, or one IPv6 prefix
 * @param ipv6PrefixLength the IPv6 prefix that counts as one client ({@code isthmus.limits.ipv6-prefix-length})
 */
public record PairingLimits(int maxWaiting, int maxWaitingPerIp, int ipv6PrefixLength) {

    public PairingLimits {
        if (maxWaiting < 1 || maxWaitingPerIp < 1) {
            throw new IllegalArgumentException("waiting caps must be at least 1");
        }
        if (ipv6PrefixLength < 1 || ipv6PrefixLength > 128) {
            throw new IllegalArgumentException("an IPv6 prefix length is between 1 and 128");
        }
    }

    /** IPv6 clients counted by their /64. */
    public PairingLimits(int maxWaiting, int maxWaitingPerIp) {
        this(maxWaiting, maxWaitingPerIp, 64);
    }
}
