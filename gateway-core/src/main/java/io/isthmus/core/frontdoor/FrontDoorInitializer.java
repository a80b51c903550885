package io.isthmus.core.frontdoor;

import io.isthmus.core.config.GatewayConfig;
import io.isthmus.core.metrics.ProtocolMetrics;
import io.isthmus.core.router.Router;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.ssl.OptionalSslHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.time.Duration;

/**
 * The pipeline of every accepted connection, in the order data flows: shed over-limit connections,
 * read a load balancer's PROXY protocol header (when configured), terminate TLS when the first bytes are a ClientHello (plain clients share the port), read the request
 * head, route it. Everything after that belongs to the plugin.
 */
public final class FrontDoorInitializer extends ChannelInitializer<Channel> {

    private final ConnectionLimiter limiter;
    private final java.util.List<io.isthmus.core.egress.Cidr> proxyProtocolSources;
    private final boolean proxyProtocolRequired;
    private final RouterHandler router;
    private final HeadLimits headLimits;
    private final Duration headTimeout;
    private final java.util.function.Supplier<SslContext> tls;
    private final Duration tlsHandshakeTimeout;
    private final ProtocolMetrics metrics;
    private final ChannelGroup allChannels;

    public FrontDoorInitializer(GatewayConfig config, Router router, ProtocolMetrics metrics, ChannelGroup allChannels) {
        this(config, router, metrics, allChannels, fixedTls(config));
    }

    private static java.util.function.Supplier<SslContext> fixedTls(GatewayConfig config) {
        SslContext context = config.tls().enabled() ? TlsContexts.server(config.tls()) : null;
        return () -> context;
    }

    /** @param tls the TLS context for each new connection, or null for none (replaceable: hot reload) */
    public FrontDoorInitializer(GatewayConfig config, Router router, ProtocolMetrics metrics, ChannelGroup allChannels,
                                java.util.function.Supplier<SslContext> tls) {
        ForwardedClient clients = new ForwardedClient(config.trustedProxies(), config.clientAddress().forwardedHeaders());
        this.proxyProtocolSources = config.clientAddress().proxyProtocolSources().stream()
                .map(io.isthmus.core.egress.Cidr::parse).toList();
        this.proxyProtocolRequired = config.clientAddress().proxyProtocolRequired();
        this.limiter = new ConnectionLimiter(config.limits().maxConnections(), config.limits().maxConnectionsPerIp(),
                config.limits().ipv6PrefixLength(), metrics,
                ip -> clients.isTrustedProxy(ip) || ForwardedClient.contains(proxyProtocolSources, ip));
        this.router = new RouterHandler(router, metrics, clients, limiter,
                config.landing().enabled() ? new LandingPage(router.routes()) : null);
        this.headLimits = HeadLimits.from(config.limits());
        this.headTimeout = config.limits().headTimeout();
        this.tls = tls;
        this.tlsHandshakeTimeout = config.tls().handshakeTimeout();
        this.metrics = metrics;
        this.allChannels = allChannels;
    }

    @Override
    protected void initChannel(Channel ch) {
        allChannels.add(ch);
        ChannelPipeline p = ch.pipeline();
        p.addLast(ConnectionLimiter.NAME, limiter);
        if (!proxyProtocolSources.isEmpty()) {
            // Before TLS: a load balancer's PROXY header comes ahead of the ClientHello.
            boolean source = ch.remoteAddress() instanceof java.net.InetSocketAddress peer
                    && ForwardedClient.contains(proxyProtocolSources, peer.getAddress());
            p.addLast(ProxyProtocolGate.NAME, new ProxyProtocolGate(source, proxyProtocolRequired, limiter, metrics));
        }
        SslContext sslContext = tls.get();
        if (sslContext != null) {
            p.addLast("isthmus-tls-sniffer", new OptionalSslHandler(sslContext) {
                @Override
                protected SslHandler newSslHandler(ChannelHandlerContext ctx, SslContext context) {
                    SslHandler handler = super.newSslHandler(ctx, context);
                    handler.setHandshakeTimeoutMillis(tlsHandshakeTimeout.toMillis());
                    return handler;
                }
            });
        }
        ch.attr(NextRequest.FRONT_DOOR).set(this);
        installHeadReader(ch, false);
    }

    /** The head reader and router at the pipeline's end: for a new connection, or the next request on one. */
    HeadReader installHeadReader(Channel ch, boolean keepAlive) {
        HeadReader reader = new HeadReader(headLimits, headTimeout, metrics, keepAlive);
        // The next request's reader is installed while the previous one may still be leaving the pipeline
        // (a plugin hands the connection back during the hand-off): generated names never clash.
        ch.pipeline().addLast(keepAlive ? null : HeadReader.NAME, reader);
        ch.pipeline().addLast(keepAlive ? null : RouterHandler.NAME, router);
        return reader;
    }
}
