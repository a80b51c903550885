package io.isthmus.core.frontdoor;

import io.isthmus.core.metrics.ProtocolMetrics;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Takes the one {@link HAProxyMessage} Netty's decoder makes of a trusted source's PROXY header: a
 * {@code PROXY} command over TCP/UDP over IPv4/IPv6 announces the client ({@link ClientAddress}), which the
 * per-IP connection cap now counts (over the cap: closed, {@code connection_limit_per_ip}); a
 * {@code LOCAL} command (the balancer's own health check) or an {@code UNKNOWN}/UNIX source leaves the
 * peer as the client. A malformed header closes the connection ({@code proxy_protocol_invalid}; the
 * decoder has usually closed it already, as the specification asks).
 */
final class ProxyHeaderReader extends ChannelInboundHandlerAdapter {

    static final String NAME = "isthmus-proxy-header";

    private final ConnectionLimiter limiter;
    private final ProtocolMetrics metrics;
    private boolean done;
    private boolean refused;

    ProxyHeaderReader(ConnectionLimiter limiter, ProtocolMetrics metrics) {
        this.limiter = limiter;
        this.metrics = metrics;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (refused || !(msg instanceof HAProxyMessage header)) {
            // Bytes behind a header that was refused or malformed: the channel is closing, nothing may be routed.
            ReferenceCountUtil.release(msg);
            return;
        }
        done = true;
        InetSocketAddress announced;
        try {
            metrics.counter("isthmus.proxy.protocol.headers", "version",
                    header.protocolVersion().name().toLowerCase(java.util.Locale.ROOT),
                    "PROXY protocol headers accepted from trusted sources, by version").increment();
            announced = announced(header);
        } finally {
            header.release();
        }
        if (announced != null) {
            ctx.channel().attr(ClientAddress.ANNOUNCED).set(announced);
            if (!limiter.admit(ctx.channel(), announced.getAddress())) {
                refused = true;
                metrics.rejection("connection_limit_per_ip");
                ctx.close();
                return;
            }
        }
        ctx.pipeline().remove(this);
    }

    /** The source a PROXY command announces, or null when the peer stays the client. */
    static InetSocketAddress announced(HAProxyMessage header) {
        if (header.command() != HAProxyCommand.PROXY) {
            return null;
        }
        HAProxyProxiedProtocol.AddressFamily family = header.proxiedProtocol().addressFamily();
        if (family != HAProxyProxiedProtocol.AddressFamily.AF_IPv4 && family != HAProxyProxiedProtocol.AddressFamily.AF_IPv6) {
            return null;
        }
        InetAddress source = ForwardedClient.literal(header.sourceAddress());
        return source == null ? null : new InetSocketAddress(source, header.sourcePort());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Netty's decoder reports most bad headers as HAProxyProtocolException (and closes the connection), but a
        // v2 TLV whose length runs past the header escapes as a DecoderException wrapping an
        // IndexOutOfBoundsException, with the connection left open (ProxyProtocolFindingsTest): any decoder
        // error before the header was taken is a bad header.
        if (cause instanceof DecoderException && (!done || refused)) {
            // The decoder may report one bad header more than once (a too-long line, then what follows it).
            if (!refused) {
                done = true;
                refused = true;
                metrics.rejection("proxy_protocol_invalid");
                ctx.close();
            }
            return;
        }
        ctx.fireExceptionCaught(cause);
    }
}
