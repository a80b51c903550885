package io.isthmus.core.frontdoor;

import io.isthmus.core.metrics.ProtocolMetrics;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * Sheds connections at accept, before a byte is read or a TLS handshake is paid for: a global cap and a
 * cap per client IP (an IPv6 client counted by its prefix, see {@link ClientPrefix}). It stays in the
 * pipeline for the connection's life so that its close is counted.
 *
 * <p>A connection from a load balancer (a PROXY protocol source or a trusted proxy) is not counted per IP
 * at accept: its client is not known yet. {@link #admit} counts it once the client is known — the PROXY
 * header's source, or the client the forwarding headers name — and moves the count when a later request
 * on the same connection names another client. A trusted proxy itself is never held to the per-IP cap.
 */
@ChannelHandler.Sharable
final class ConnectionLimiter extends ChannelInboundHandlerAdapter {

    static final String NAME = "isthmus-connection-limiter";
    private static final AttributeKey<Slot> COUNTED = AttributeKey.valueOf("isthmus.counted-ip");

    /** Present while the connection is counted in the total; {@code key} is what the per-IP count holds, if any. */
    private static final class Slot {
        InetAddress key;
    }

    private final int maxTotal;
    private final int maxPerIp;
    private final int ipv6PrefixLength;
    private final ProtocolMetrics metrics;
    private final Predicate<InetAddress> balancer;
    private final AtomicInteger total = new AtomicInteger();
    private final ConcurrentMap<InetAddress, AtomicInteger> perIp = new ConcurrentHashMap<>();

    /** {@code balancer}: peers whose connections carry other clients (trusted proxies, PROXY protocol sources). */
    ConnectionLimiter(int maxTotal, int maxPerIp, int ipv6PrefixLength, ProtocolMetrics metrics, Predicate<InetAddress> balancer) {
        this.maxTotal = maxTotal;
        this.maxPerIp = maxPerIp;
        this.ipv6PrefixLength = ipv6PrefixLength;
        this.metrics = metrics;
        this.balancer = balancer;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        InetAddress ip = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
        if (total.incrementAndGet() > maxTotal) {
            total.decrementAndGet();
            shed(ctx, "connection_limit");
            return;
        }
        Slot slot = new Slot();
        ctx.channel().attr(COUNTED).set(slot);
        if (!balancer.test(ip) && !count(slot, ip)) {
            ctx.channel().attr(COUNTED).set(null);
            total.decrementAndGet();
            shed(ctx, "connection_limit_per_ip");
            return;
        }
        metrics.connectionOpened();
        ctx.fireChannelActive();
    }

    /**
     * Counts {@code channel} under {@code client} from now on (instead of whatever it was counted under);
     * false when that client is over its cap, and the channel is then counted under no client: the caller
     * refuses it. Call on the channel's event loop.
     */
    boolean admit(Channel channel, InetAddress client) {
        Slot slot = channel.attr(COUNTED).get();
        if (slot == null) {
            return true;
        }
        if (balancer.test(client)) {
            release(slot);
            return true;
        }
        if (ClientPrefix.of(client, ipv6PrefixLength).equals(slot.key)) {
            return true;
        }
        release(slot);
        return count(slot, client);
    }

    private boolean count(Slot slot, InetAddress ip) {
        InetAddress key = ClientPrefix.of(ip, ipv6PrefixLength);
        AtomicInteger count = perIp.computeIfAbsent(key, k -> new AtomicInteger());
        if (count.incrementAndGet() > maxPerIp) {
            release(key);
            return false;
        }
        slot.key = key;
        return true;
    }

    private void shed(ChannelHandlerContext ctx, String reason) {
        metrics.rejection(reason);
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        Slot slot = ctx.channel().attr(COUNTED).getAndSet(null);
        if (slot != null) {
            release(slot);
            total.decrementAndGet();
            metrics.connectionClosed();
        }
        ctx.fireChannelInactive();
    }

    private void release(Slot slot) {
        if (slot.key != null) {
            release(slot.key);
            slot.key = null;
        }
    }

    private void release(InetAddress key) {
        perIp.computeIfPresent(key, (k, v) -> v.decrementAndGet() <= 0 ? null : v);
    }

    int total() {
        return total.get();
    }
}
