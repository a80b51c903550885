package io.isthmus.bare;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.multibindings.Multibinder;
import com.google.inject.multibindings.ProvidesIntoSet;
import io.isthmus.core.config.GatewayConfig;
import io.isthmus.core.egress.EgressDialer;
import io.isthmus.core.egress.EgressPolicy;
import io.isthmus.core.metrics.GatewayMetrics;
import io.isthmus.core.spi.PluginService;
import io.isthmus.core.spi.Route;
import io.isthmus.core.spi.RouteCondition;
import io.isthmus.core.splice.SpliceEngine;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.File;
import javax.net.ssl.SSLException;

/** Wires the Bare route to its handler, origin pool, meta store and metrics. */
final class BareModule extends AbstractModule {

    private final BareConfig config;

    BareModule(BareConfig config) {
        this.config = config;
    }

    @Override
    protected void configure() {
        Multibinder.newSetBinder(binder(), Route.class);
        Multibinder.newSetBinder(binder(), PluginService.class);
    }

    @Provides
    @Singleton
    BareServer server(GatewayConfig gateway, GatewayMetrics gatewayMetrics, EgressDialer dialer, SpliceEngine splices) {
        var protocol = gatewayMetrics.protocol(BarePlugin.NAME);
        BareMetrics metrics = new BareMetrics(protocol);
        EgressPolicy policy = EgressPolicy.of(gateway.egress(), config.egress());
        SslContext tls = clientTls(config.upstream().trustCertificates());
        OriginPool pool = new OriginPool(dialer, policy, protocol, metrics, config.upstream(), tls);
        metrics.idleGauge(pool::idleCount);
        return new BareServer(config, pool, new MetaStore(config.metaExpiry()), metrics, dialer, policy, tls, splices);
    }

    /** Verifies origins against the JDK's trust store, or the configured CA file; host names checked (HTTPS rules). */
    static SslContext clientTls(String trustCertificates) {
        try {
            SslContextBuilder builder = SslContextBuilder.forClient().endpointIdentificationAlgorithm("HTTPS");
            if (!trustCertificates.isEmpty()) {
                builder.trustManager(new File(trustCertificates));
            }
            return builder.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalStateException("isthmus.plugins.bare.upstream.trust-certificates: " + e.getMessage(), e);
        }
    }

    @ProvidesIntoSet
    Route route(BareServer server) {
        return new Route(BarePlugin.NAME, config.prefix(), RouteCondition.any(), new BareHandler(server));
    }
}
