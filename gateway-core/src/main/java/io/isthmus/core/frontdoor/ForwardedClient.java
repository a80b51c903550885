package io.isthmus.core.frontdoor;

import io.isthmus.core.egress.Cidr;
import io.isthmus.core.http.RequestHead;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * The client's address as the gateway should see it. From a configured trusted proxy, the right-most
 * {@code X-Forwarded-For} entry that is not itself a trusted proxy (each proxy appends the peer it saw,
 * so only that entry is vouched for), else {@code X-Real-IP}; from anyone else, the TCP peer. A header
 * value that is not an IP literal is ignored. Addresses taken from headers carry port 0: proxies do not
 * forward the client's port.
 */
public final class ForwardedClient {

    private final List<Cidr> trusted;

    public ForwardedClient(List<String> trustedProxies) {
        this.trusted = trustedProxies.stream().map(Cidr::parse).toList();
    }

    public boolean isTrustedProxy(InetAddress address) {
        for (Cidr c : trusted) {
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
        List<String> forwarded = head.headers().getAll("x-forwarded-for");
        for (int h = forwarded.size() - 1; h >= 0; h--) {
            String[] hops = forwarded.get(h).split(",");
            for (int i = hops.length - 1; i >= 0; i--) {
                InetAddress hop = literal(hops[i].strip());
                if (hop == null) {
                    return peer;
                }
                if (!isTrustedProxy(hop)) {
                    return new InetSocketAddress(hop, 0);
                }
            }
        }
        InetAddress real = literal(head.header("x-real-ip"));
        return real != null && !isTrustedProxy(real) ? new InetSocketAddress(real, 0) : peer;
    }

    /** Parses an IP literal only; never a name (no DNS on the event loop). */
    private static InetAddress literal(String text) {
        if (text == null || text.isEmpty()) {
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
