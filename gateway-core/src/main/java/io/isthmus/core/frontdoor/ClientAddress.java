package io.isthmus.core.frontdoor;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Who is at the other end of an accepted connection, as the front door learned it: the address a PROXY
 * protocol header announced (else the TCP peer), then, once the request head is read, the client the
 * trusted forwarding headers name ({@link ForwardedClient}). Anything that reports or counts clients —
 * access logs, the status page, per-IP limits — asks here rather than {@code channel.remoteAddress()},
 * which behind a load balancer is the load balancer.
 */
public final class ClientAddress {

    static final AttributeKey<InetSocketAddress> ANNOUNCED = AttributeKey.valueOf("isthmus.proxy-protocol-source");
    static final AttributeKey<InetSocketAddress> RESOLVED = AttributeKey.valueOf("isthmus.client-address");

    private ClientAddress() {
    }

    /** The PROXY protocol's announced source, else the TCP peer (null for a channel with no peer). */
    public static InetSocketAddress peer(Channel channel) {
        InetSocketAddress announced = channel.attr(ANNOUNCED).get();
        if (announced != null) {
            return announced;
        }
        SocketAddress remote = channel.remoteAddress();
        return remote instanceof InetSocketAddress inet ? inet : null;
    }

    /** The client as the front door resolved it (what plugins got in their {@code Handoff}), else {@link #peer}. */
    public static InetSocketAddress of(Channel channel) {
        InetSocketAddress resolved = channel.attr(RESOLVED).get();
        return resolved != null ? resolved : peer(channel);
    }
}
