package io.isthmus.core;

import com.google.inject.AbstractModule;
import com.typesafe.config.Config;
import io.isthmus.core.admin.Readiness;
import io.isthmus.core.config.GatewayConfig;
import io.isthmus.core.egress.EgressDialer;
import io.isthmus.core.metrics.GatewayMetrics;
import io.isthmus.core.overload.Admission;
import io.isthmus.core.overload.MemoryGuard;
import io.isthmus.core.splice.SpliceEngine;
import io.isthmus.core.transport.ChannelSettings;
import io.isthmus.core.transport.Transport;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoopGroup;

/**
 * What the core offers every plugin's injector: config, metrics, the splice engine, the egress dialer,
 * transport, channel settings (the one buffer allocator), event loops and the memory guard.
 */
final class CoreModule extends AbstractModule {

    private final Config root;
    private final GatewayConfig config;
    private final GatewayMetrics metrics;
    private final SpliceEngine splices;
    private final Transport transport;
    private final ChannelSettings channels;
    private final EventLoopGroup workers;
    private final Readiness readiness;
    private final EgressDialer dialer;
    private final MemoryGuard memoryGuard;

    CoreModule(Config root, GatewayConfig config, GatewayMetrics metrics, SpliceEngine splices,
               Transport transport, ChannelSettings channels, EventLoopGroup workers, Readiness readiness, EgressDialer dialer,
               MemoryGuard memoryGuard) {
        this.root = root;
        this.config = config;
        this.metrics = metrics;
        this.splices = splices;
        this.transport = transport;
        this.channels = channels;
        this.workers = workers;
        this.readiness = readiness;
        this.dialer = dialer;
        this.memoryGuard = memoryGuard;
    }

    @Override
    protected void configure() {
        bind(Config.class).toInstance(root);
        bind(GatewayConfig.class).toInstance(config);
        bind(GatewayMetrics.class).toInstance(metrics);
        bind(SpliceEngine.class).toInstance(splices);
        bind(Transport.class).toInstance(transport);
        bind(ChannelSettings.class).toInstance(channels);
        bind(ByteBufAllocator.class).toInstance(channels.allocator());
        bind(EventLoopGroup.class).toInstance(workers);
        bind(Readiness.class).toInstance(readiness);
        bind(EgressDialer.class).toInstance(dialer);
        bind(MemoryGuard.class).toInstance(memoryGuard);
        bind(Admission.class).toInstance(memoryGuard);
    }
}
