package io.isthmus.core.frontdoor;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * What per-client limits count: an IPv4 address as itself, an IPv6 address by its prefix. One IPv6
 * subscriber usually holds a whole /64 (often a /56 or /48), so counting single IPv6 addresses would give
 * one client 2^64 "addresses" and no per-client cap would bind it. Every per-IP limit (connections at
 * accept, waiting connections of WebRoute and Remoted) keys its counts with {@link #of}.
 */
public final class ClientPrefix {

    private ClientPrefix() {
    }

    /**
     * {@code address} with every bit past {@code ipv6PrefixLength} cleared when it is IPv6 (an IPv4-mapped
     * address is judged as its IPv4, which Java already gives as an {@code Inet4Address}); IPv4 unchanged.
     */
    public static InetAddress of(InetAddress address, int ipv6PrefixLength) {
        if (!(address instanceof Inet6Address) || ipv6PrefixLength >= 128) {
            return address;
        }
        byte[] bytes = address.getAddress();
        for (int bit = ipv6PrefixLength; bit < 128; bit++) {
            bytes[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("16 bytes are always an address", e);
        }
    }
}
