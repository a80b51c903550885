package io.isthmus.remoted;

import com.google.inject.AbstractModule;
import com.google.inject.Inject;
import com.google.inject.Provider;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.multibindings.Multibinder;
import com.google.inject.multibindings.ProvidesIntoSet;
import io.isthmus.core.config.GatewayConfig;
import io.isthmus.core.metrics.GatewayMetrics;
import io.isthmus.core.reload.Reloadable;
import io.isthmus.core.spi.PluginService;
import io.isthmus.core.spi.Route;
import io.isthmus.core.spi.RouteCondition;
import io.isthmus.core.splice.SpliceEngine;
import io.isthmus.webroute.pairing.PairingLimits;
import io.isthmus.webroute.pairing.Rendezvous;
import java.time.Duration;

/**
 * Wires Remoted: its keys, the server registry, and a pairing registry of its own (plugin-webroute's
 * classes, a separate instance: Remoted clients never meet plain WebRoute peers).
 */
final class RemotedModule extends AbstractModule {

    /** WebRoute's default grace before forwarded bytes follow a 101 (see plugin-webroute). */
    private static final Duration LINK_GRACE = Duration.ofMillis(25);
    private static final int HOLD_LIMIT = 64 * 1024;

    private final RemotedConfig config;

    RemotedModule(RemotedConfig config) {
        this.config = config;
    }

    @Override
    protected void configure() {
        Multibinder<Route> routes = Multibinder.newSetBinder(binder(), Route.class);
        Multibinder.newSetBinder(binder(), PluginService.class);
        Multibinder.newSetBinder(binder(), Reloadable.class);
        // Under a prefix of its own, Remoted answers every request as the reference server does (403
        // without a key). On the root prefix, which every protocol shares, a request that is neither keyed
        // nor a WebSocket is not Remoted's: it falls through to another route, the landing page, or 404.
        if (!config.prefix().equals("/")) {
            routes.addBinding().toProvider(EverythingUnderOwnPrefix.class);
        }
    }

    /** The route that claims every other request under Remoted's own prefix. */
    static final class EverythingUnderOwnPrefix implements Provider<Route> {
        private final RemotedConfig config;
        private final RemotedHandler handler;

        @Inject
        EverythingUnderOwnPrefix(RemotedConfig config, RemotedHandler handler) {
            this.config = config;
            this.handler = handler;
        }

        @Override
        public Route get() {
            return new Route(RemotedPlugin.NAME, config.prefix(), RouteCondition.any(), handler);
        }
    }

    @Provides
    @Singleton
    RemotedKeys keys() {
        return new RemotedKeys(config);
    }

    @Provides
    @Singleton
    Rendezvous rendezvous(SpliceEngine splices, GatewayMetrics gatewayMetrics, GatewayConfig core) {
        return Rendezvous.create(splices, gatewayMetrics.protocol(RemotedPlugin.NAME),
                new PairingLimits(config.maxWaiting(), config.maxWaitingPerIp(), core.limits().ipv6PrefixLength()), config.waitTimeout(), LINK_GRACE, true, HOLD_LIMIT);
    }

    @Provides
    @Singleton
    ServerRegistry servers() {
        return new ServerRegistry();
    }

    @Provides
    @Singleton
    RemotedHandler handler(RemotedKeys keys, ServerRegistry servers, Rendezvous rendezvous, GatewayMetrics metrics) {
        return new RemotedHandler(keys.apiKeys(), servers, rendezvous, config, metrics.protocol(RemotedPlugin.NAME));
    }

    /** Keyed WebRoute requests: client arrivals and server connect-backs, ahead of plain WebRoute. */
    @ProvidesIntoSet
    Route keyedWebRoute(RemotedHandler handler) {
        return new Route(RemotedPlugin.NAME, config.prefix(), RouteCondition.upgrade("webroute").andHeader("x-remoted-apikey"), handler);
    }

    /**
     * Any other request that carries a Remoted key (registrations, the reference's refusal of a wrong key),
     * and WebSocket upgrades without one (registration attempts, refused with the reference's 403).
     */
    @ProvidesIntoSet
    Route keyed(RemotedHandler handler) {
        return new Route(RemotedPlugin.NAME, config.prefix(), RouteCondition.header("x-remoted-apikey"), handler);
    }

    @ProvidesIntoSet
    Route unkeyedRegistration(RemotedHandler handler) {
        return new Route(RemotedPlugin.NAME, config.prefix(), RouteCondition.upgrade("websocket"), handler);
    }

    /** Hot reload of the server and client keys: new requests see the new keys, live links stay. */
    @ProvidesIntoSet
    Reloadable reloadableKeys(RemotedKeys keys, RemotedHandler handler) {
        return Reloadable.of("remoted keys",
                java.util.List.of("isthmus.plugins.remoted.server-keys", "isthmus.plugins.remoted.client-keys"), next -> {
                    ApiKeys fresh = keys.reloaded(next.plugin(RemotedPlugin.NAME, RemotedConfig.class));
                    return () -> handler.useKeys(fresh);
                });
    }

    @ProvidesIntoSet
    PluginService lifecycle(RemotedKeys keys, Rendezvous rendezvous, ServerRegistry servers, GatewayConfig gateway) {
        return new PluginService() {
            @Override
            public void start() {
                String text = keys.announcement(gateway.listen());
                if (!text.isEmpty()) {
                    // Printed once, on standard output and never through a logger, so it reaches the operator
                    // who started the gateway and no log file.
                    System.out.print(text);
                    System.out.flush();
                }
            }

            @Override
            public void drain() {
                rendezvous.drain();
                // Registered servers are told to go elsewhere (close 1001) once their waiting clients got their 503.
                servers.all().forEach(RegisteredServer::goAway);
            }
        };
    }
}
