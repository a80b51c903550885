package io.isthmus.rawsocket.wisp;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.multibindings.Multibinder;
import com.google.inject.Inject;
import com.google.inject.Provider;
import io.isthmus.core.config.GatewayConfig;
import io.isthmus.core.egress.EgressDialer;
import io.isthmus.core.egress.EgressPolicy;
import io.isthmus.core.egress.EgressRules;
import io.isthmus.core.metrics.GatewayMetrics;
import io.isthmus.core.spi.PluginService;
import io.isthmus.core.spi.Route;
import io.isthmus.core.splice.SpliceEngine;

/**
 * Wires the Wisp endpoint into the rawsocket plugin's injector: its route when {@code wisp.enabled}. The
 * egress policy is the gateway's rules, plus the plugin's {@code egress}, plus the endpoint's own.
 */
public final class WispModule extends AbstractModule {

    private final WispConfig config;
    private final EgressRules pluginEgress;

    public WispModule(WispConfig config, EgressRules pluginEgress) {
        this.config = config;
        this.pluginEgress = pluginEgress;
    }

    @Override
    protected void configure() {
        Multibinder<Route> routes = Multibinder.newSetBinder(binder(), Route.class);
        Multibinder<PluginService> services = Multibinder.newSetBinder(binder(), PluginService.class);
        if (config.enabled()) {
            routes.addBinding().toProvider(RouteProvider.class);
            services.addBinding().toProvider(DrainProvider.class);
            if (config.directSockets() && !config.directSocketsScript().isEmpty()) {
                routes.addBinding().toInstance(new DirectSocketsScript(config).route());
            }
        }
    }

    /** At the gateway's drain, every Wisp session refuses new streams and closes with its last one. */
    static final class DrainProvider implements Provider<PluginService> {
        private final WispServer server;

        @Inject
        DrainProvider(WispServer server) {
            this.server = server;
        }

        @Override
        public PluginService get() {
            return new PluginService() {
                @Override
                public void drain() {
                    server.drain();
                }
            };
        }
    }

    /** The endpoint's route, built once its server is. */
    static final class RouteProvider implements Provider<Route> {
        private final WispServer server;

        @Inject
        RouteProvider(WispServer server) {
            this.server = server;
        }

        @Override
        public Route get() {
            return new WispRoute(server).route();
        }
    }

    @Provides
    @Singleton
    WispServer server(GatewayConfig gateway, EgressDialer dialer, SpliceEngine splices, GatewayMetrics metrics) {
        EgressPolicy policy = EgressPolicy.of(gateway.egress(), pluginEgress.and(config.egress()));
        return new WispServer(config, policy, dialer, splices, new WispMetrics(metrics.protocol(WispRoute.PROTOCOL)));
    }
}
