package io.isthmus.core.frontdoor;

import io.isthmus.core.egress.Cidr;
import io.isthmus.core.http.RequestHead;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * The client's address as the gateway should see it. The peer is the TCP peer, or the address a PROXY
 * protocol header announced ({@link ClientAddress}). From a configured trusted proxy, the first of the
 * configured forwarding headers present in the request decides: for {@code X-Forwarded-For} and
 * {@code Forwarded} (RFC 7239 {@code for=}), the right-most hop that is not itself a trusted proxy (each
 * proxy appends the peer it saw, so only that entry is vouched for); for {@code X-Real-IP}, its one
 * address (unless that is a trusted proxy). A hop that is not an IP literal ({@code unknown}, an obfuscated {@code _name}, a host name,
 * garbage) stops the walk: the nearest trusted hop stays the client. From anyone else, the peer.
 * Addresses taken from headers carry port 0: proxies do not reliably forward the client's port.
 */
public final class ForwardedClient {

    private final List<Cidr> trusted;
    private final List<String> headers;

    /** Today's headers: {@code X-Forwarded-For}, then {@code X-Real-IP}. */
    public ForwardedClient(List<String> trustedProxies) {
        this(trustedProxies, List.of("x-forwarded-for", "x-real-ip"));
    }

    public ForwardedClient(List<String> trustedProxies, List<String> forwardedHeaders) {
        this.trusted = trustedProxies.stream().map(Cidr::parse).toList();
        this.headers = List.copyOf(forwardedHeaders);
    }

    public boolean isTrustedProxy(InetAddress address) {
        return contains(trusted, address);
    }

    static boolean contains(List<Cidr> cidrs, InetAddress address) {
        for (Cidr c : cidrs) {
            if (c.contains(address.getAddress())) {
                return true;
            }
        }
        return false;
    }

    public InetSocketAddress resolve(InetSocketAddress peer, RequestHead head) {
        if (trusted.isEmpty() || !isTrustedProxy(peer.getAddress())) {
            return peer;
        }
        for (String header : headers) {
            List<String> values = head.headers().getAll(header);
            if (values.isEmpty()) {
                continue;
            }
            return switch (header) {
                case "x-forwarded-for" -> walk(peer, xForwardedForHops(values));
                case "forwarded" -> walk(peer, forwardedHops(values));
                default -> realIp(peer, values);
            };
        }
        return peer;
    }

    private static List<String> xForwardedForHops(List<String> values) {
        List<String> hops = new ArrayList<>();
        for (String v : values) {
            for (String hop : v.split(",", -1)) {
                hops.add(hop.strip());
            }
        }
        return hops;
    }

    /** Every {@code for=} address of every Forwarded line, in order; null marks a hop not believed. */
    private static List<String> forwardedHops(List<String> values) {
        List<String> hops = new ArrayList<>();
        for (String v : values) {
            List<String> nodes = ForwardedHeader.forNodes(v);
            if (nodes == null) {
                // A malformed line: none of it is believed, and nothing left of it either.
                hops.clear();
                hops.add(null);
                continue;
            }
            for (String node : nodes) {
                hops.add(ForwardedHeader.nodeAddress(node));
            }
        }
        return hops;
    }

    /** From the right: trusted hops are passed over; the first other literal is the client. */
    private InetSocketAddress walk(InetSocketAddress peer, List<String> hops) {
        InetSocketAddress nearest = peer;
        for (int i = hops.size() - 1; i >= 0; i--) {
            InetAddress hop = literal(hops.get(i));
            if (hop == null) {
                return nearest;
            }
            if (!isTrustedProxy(hop)) {
                return new InetSocketAddress(hop, 0);
            }
            nearest = new InetSocketAddress(hop, 0);
        }
        return nearest;
    }

    private InetSocketAddress realIp(InetSocketAddress peer, List<String> values) {
        InetAddress real = values.size() == 1 ? literal(values.get(0).strip()) : null;
        return real != null && !isTrustedProxy(real) ? new InetSocketAddress(real, 0) : peer;
    }

    /** Parses an IP literal only; never a name (no DNS on the event loop). */
    static InetAddress literal(String text) {
        if (text == null || text.isEmpty() || text.length() > 64) {
            return null;
        }
        String t = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(t);
        if (bytes == null) {
            return null;
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
