package io.isthmus.core.admin;

import io.isthmus.core.metrics.GatewayMetrics;
import io.isthmus.core.splice.SpliceEngine;
import io.isthmus.core.transport.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/** The admin listener: its own port, never the public one, so metrics and health stay off the edge. */
public final class AdminServer {

    private final Channel channel;
    private final ScheduledFuture<?> sampling;

    private AdminServer(Channel channel, ScheduledFuture<?> sampling) {
        this.channel = channel;
        this.sampling = sampling;
    }

    public static AdminServer bind(InetSocketAddress address, Transport transport, EventLoopGroup group,
                                   GatewayMetrics metrics, Readiness readiness) {
        return bind(address, transport, group, ByteBufAllocator.DEFAULT, metrics, readiness, null, 0);
    }

    /**
     * With the gateway's one buffer allocator on the listener and its connections; {@code splices} (may be
     * null) gives the status page's {@code topTalkers} rows.
     */
    public static AdminServer bind(InetSocketAddress address, Transport transport, EventLoopGroup group,
                                   ByteBufAllocator allocator, GatewayMetrics metrics, Readiness readiness,
                                   SpliceEngine splices, int topTalkers) {
        GatewayStatus status = new GatewayStatus(metrics, readiness, splices, splices == null ? 0 : topTalkers);
        AdminHandler handler = new AdminHandler(metrics, readiness, status);
        ChannelFuture bound = new ServerBootstrap()
                .group(group)
                .channel(transport.serverChannel())
                .option(ChannelOption.ALLOCATOR, allocator)
                .childOption(ChannelOption.ALLOCATOR, allocator)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel c) {
                        c.pipeline().addLast(new ReadTimeoutHandler(30))
                                .addLast(new HttpServerCodec(4096, 8192, 8192))
                                .addLast(new HttpObjectAggregator(8192))
                                .addLast(handler);
                    }
                })
                .bind(address).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            throw new IllegalStateException(String.valueOf(bound.cause().getMessage()), bound.cause());
        }
        // The status page's rates: one sample of the counters a second, on the admin loop.
        ScheduledFuture<?> sampling = bound.channel().eventLoop().scheduleAtFixedRate(status::sample, 0, 1, TimeUnit.SECONDS);
        return new AdminServer(bound.channel(), sampling);
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    public void close() {
        sampling.cancel(false);
        channel.close().syncUninterruptibly();
    }
}
