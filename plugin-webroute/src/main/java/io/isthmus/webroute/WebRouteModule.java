package io.isthmus.webroute;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.multibindings.Multibinder;
import com.google.inject.multibindings.ProvidesIntoSet;
import io.isthmus.core.config.GatewayConfig;
import io.isthmus.core.metrics.GatewayMetrics;
import io.isthmus.core.spi.PluginService;
import io.isthmus.core.spi.Route;
import io.isthmus.core.spi.RouteCondition;
import io.isthmus.core.splice.SpliceEngine;
import io.isthmus.webroute.pairing.PairingLimits;
import io.isthmus.webroute.pairing.PairingMetrics;
import io.isthmus.webroute.pairing.PairingRegistry;
import io.isthmus.webroute.pairing.Rendezvous;
import io.isthmus.webroute.pairing.WebRouteLink;

/** Wires the WebRoute route to its handler, pairing registry and splice glue. */
final class WebRouteModule extends AbstractModule {

    private final WebRouteConfig config;

    WebRouteModule(WebRouteConfig config) {
        this.config = config;
    }

    @Override
    protected void configure() {
        Multibinder.newSetBinder(binder(), Route.class);
        Multibinder.newSetBinder(binder(), PluginService.class);
    }

    @Provides
    @Singleton
    Rendezvous rendezvous(SpliceEngine splices, GatewayMetrics gatewayMetrics, GatewayConfig core) {
        return Rendezvous.create(splices, gatewayMetrics.protocol(WebRoutePlugin.NAME),
                new PairingLimits(config.maxWaiting(), config.maxWaitingPerIp(), core.limits().ipv6PrefixLength()), config.defaultTimeout(),
                config.linkGrace(), config.halfClose(), config.holdLimit().toIntBytes());
    }

    @Provides
    @Singleton
    WebRouteHandler handler(Rendezvous rendezvous, GatewayMetrics gatewayMetrics) {
        return new WebRouteHandler(rendezvous, config.access().rule(), gatewayMetrics.protocol(WebRoutePlugin.NAME));
    }

    /** Requests that ask to upgrade to WebRoute. Plugin-remoted adds a more specific route beside it. */
    @ProvidesIntoSet
    Route upgradeRoute(WebRouteHandler handler) {
        return new Route(WebRoutePlugin.NAME, config.prefix(), RouteCondition.upgrade("webroute"), handler);
    }

    /**
     * Requests that carry a WebRoute-ID without the upgrade token ({@code Upgrade: websocket}, none at all)
     * still get the reference's 400 rather than the front door's 404.
     */
    @ProvidesIntoSet
    Route strayIdRoute(WebRouteHandler handler) {
        return new Route(WebRoutePlugin.NAME, config.prefix(), RouteCondition.header("webroute-id"), handler);
    }

    /** Answers waiting clients with a 503 when the gateway drains, instead of dropping them silently. */
    @ProvidesIntoSet
    PluginService drainWaiters(Rendezvous rendezvous) {
        return new PluginService() {
            @Override
            public void drain() {
                rendezvous.drain();
            }
        };
    }
}
