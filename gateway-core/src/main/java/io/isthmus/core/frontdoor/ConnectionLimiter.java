package io.isthmus.core.frontdoor;

import io.isthmus.core.metrics.ProtocolMetrics;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sheds connections at accept, before a byte is read or a TLS handshake is paid for: a global cap and a
 * cap per client IP (an IPv6 client counted by its prefix, see {@link ClientPrefix}). It stays in the
 * pipeline for the connection's life so that its close is counted.
 */
@ChannelHandler.Sharable
final class ConnectionLimiter extends ChannelInboundHandlerAdapter {

    static final String NAME = "isthmus-connection-limiter";
    private static final AttributeKey<InetAddress> COUNTED = AttributeKey.valueOf("isthmus.counted-ip");

    private final int maxTotal;
    private final int maxPerIp;
    private final int ipv6PrefixLength;
    private final ProtocolMetrics metrics;
    private final ForwardedClient clients;
    private final AtomicInteger total = new AtomicInteger();
    private final ConcurrentMap<InetAddress, AtomicInteger> perIp = new ConcurrentHashMap<>();

    ConnectionLimiter(int maxTotal, int maxPerIp, int ipv6PrefixLength, ProtocolMetrics metrics, ForwardedClient clients) {
        this.maxTotal = maxTotal;
        this.maxPerIp = maxPerIp;
        this.ipv6PrefixLength = ipv6PrefixLength;
        this.metrics = metrics;
        this.clients = clients;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        InetAddress ip = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
        if (total.incrementAndGet() > maxTotal) {
            total.decrementAndGet();
            shed(ctx, "connection_limit");
            return;
        }
        InetAddress client = ClientPrefix.of(ip, ipv6PrefixLength);
        AtomicInteger count = perIp.computeIfAbsent(client, k -> new AtomicInteger());
        // A trusted proxy carries many clients: only the global cap applies to it.
        if (count.incrementAndGet() > maxPerIp && !clients.isTrustedProxy(ip)) {
            release(client);
            total.decrementAndGet();
            shed(ctx, "connection_limit_per_ip");
            return;
        }
        ctx.channel().attr(COUNTED).set(client);
        metrics.connectionOpened();
        ctx.fireChannelActive();
    }

    private void shed(ChannelHandlerContext ctx, String reason) {
        metrics.rejection(reason);
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        InetAddress ip = ctx.channel().attr(COUNTED).getAndSet(null);
        if (ip != null) {
            release(ip);
            total.decrementAndGet();
            metrics.connectionClosed();
        }
        ctx.fireChannelInactive();
    }

    private void release(InetAddress ip) {
        perIp.computeIfPresent(ip, (k, v) -> v.decrementAndGet() <= 0 ? null : v);
    }

    int total() {
        return total.get();
    }
}
