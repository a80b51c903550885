package io.isthmus.rawsocket;

import com.google.inject.AbstractModule;
import com.google.inject.Key;
import com.google.inject.name.Named;
import com.google.inject.name.Names;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.multibindings.Multibinder;
import com.google.inject.multibindings.ProvidesIntoSet;
import io.isthmus.core.config.GatewayConfig;
import io.isthmus.core.egress.EgressDialer;
import io.isthmus.core.egress.EgressPolicy;
import io.isthmus.core.metrics.GatewayMetrics;
import io.isthmus.core.reload.ReloadContext;
import io.isthmus.core.reload.Reloadable;
import io.isthmus.core.spi.PluginService;
import io.isthmus.core.spi.Route;
import io.isthmus.core.spi.RouteCondition;
import io.isthmus.core.splice.SpliceEngine;
import io.isthmus.core.transport.Transport;
import io.isthmus.rawsocket.bridge.BridgeEndpoint;
import io.isthmus.rawsocket.bridge.ClientCaps;
import io.isthmus.rawsocket.bridge.OriginRule;
import io.isthmus.rawsocket.bridge.RawSocketMetrics;
import io.isthmus.rawsocket.bridge.SocketBridge;
import io.isthmus.rawsocket.bridge.SocketOptions;
import io.isthmus.rawsocket.demo.DemoPage;
import io.isthmus.rawsocket.demo.DemoServices;
import io.isthmus.rawsocket.target.DemoTargets;
import io.isthmus.rawsocket.target.SignedTokens;
import io.isthmus.rawsocket.target.TargetChooser;
import io.isthmus.rawsocket.target.TokenFile;
import io.netty.channel.EventLoopGroup;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Wires the bridge's endpoints (one route each) to their shared pieces: one egress policy, one per-IP cap,
 * one Origin rule, one token source, the metrics, and the demo page and services.
 */
final class RawSocketModule extends AbstractModule {

    private final RawSocketConfig config;

    RawSocketModule(RawSocketConfig config) {
        this.config = config;
    }

    /** Only enabled endpoints contribute a route; each is provided under its own name below. */
    @Override
    protected void configure() {
        Multibinder<Route> routes = Multibinder.newSetBinder(binder(), Route.class);
        Multibinder.newSetBinder(binder(), PluginService.class);
        Multibinder.newSetBinder(binder(), Reloadable.class);
        if (config.websockify().enabled()) {
            routes.addBinding().to(Key.get(Route.class, Names.named("websockify")));
        }
        if (config.wsproxy().enabled()) {
            routes.addBinding().to(Key.get(Route.class, Names.named("wsproxy")));
        }
        if (config.udp().enabled()) {
            routes.addBinding().to(Key.get(Route.class, Names.named("udp")));
        }
        if (config.demo().enabled()) {
            routes.addBinding().to(Key.get(Route.class, Names.named("demo")));
        }
    }

    @Provides
    @Singleton
    RawSocketMetrics metrics(GatewayMetrics gatewayMetrics) {
        return new RawSocketMetrics(gatewayMetrics.protocol(RawSocketPlugin.NAME));
    }

    @Provides
    @Singleton
    EgressPolicy policy(GatewayConfig gateway) {
        return EgressPolicy.of(gateway.egress(), config.egress());
    }

    @Provides
    @Singleton
    Optional<TokenFile> tokenFile() {
        return config.tokens().file().isEmpty() ? Optional.empty() : Optional.of(new TokenFile(Path.of(config.tokens().file())));
    }

    @Provides
    @Singleton
    Optional<SignedTokens> signedTokens() {
        return config.tokens().jwt().enabled() ? Optional.of(new SignedTokens(config.tokens().jwt())) : Optional.empty();
    }

    @Provides
    @Singleton
    DemoTargets demoTargets(GatewayConfig gateway) {
        return new DemoTargets(gateway.egress());
    }

    @Provides
    @Singleton
    SocketBridges bridges(EgressPolicy policy, Optional<TokenFile> tokenFile, Optional<SignedTokens> signed,
                          DemoTargets demo, EgressDialer dialer, SpliceEngine splices, RawSocketMetrics metrics,
                          Transport transport) {
        DemoTargets demoTargets = config.demo().enabled() && config.demo().services() ? demo : null;
        ClientCaps caps = new ClientCaps(config.maxConnectionsPerIp());
        OriginRule origins = new OriginRule(config.allowedOrigins());
        boolean epoll = SocketOptions.isEpoll(transport.socketChannel());
        var ws = config.websockify();
        var wsproxy = config.wsproxy();
        var udp = config.udp();
        BridgeEndpoint websockify = new BridgeEndpoint("websockify", config.path(ws.path()), false, false, ws.base64(), false, 0,
                new TargetChooser(false, ws.target(), ws.tokens(), ws.clientTargets(), ws.allowList(), policy,
                        tokenFile.orElse(null), signed.orElse(null), demoTargets));
        BridgeEndpoint proxy = new BridgeEndpoint("wsproxy", config.path(wsproxy.path()), true, false, false, false, 0,
                new TargetChooser(false, "", false, true, wsproxy.allowList(), policy, null, null, null));
        BridgeEndpoint flows = new BridgeEndpoint("udp", config.path(udp.path()), udp.clientTargets(), true, false,
                udp.emscriptenPortMessage(), udp.maxDatagram().toIntBytes(),
                new TargetChooser(true, udp.target(), udp.tokens(), udp.clientTargets(), udp.allowList(), policy,
                        tokenFile.orElse(null), signed.orElse(null), demoTargets));
        return new SocketBridges(
                new SocketBridge(websockify, config, dialer, splices, metrics, caps, origins, epoll),
                new SocketBridge(proxy, config, dialer, splices, metrics, caps, origins, epoll),
                new SocketBridge(flows, config, dialer, splices, metrics, caps, origins, epoll));
    }

    /** The three bridge handlers, built together because they share the caps and the Origin rule. */
    record SocketBridges(SocketBridge websockify, SocketBridge wsproxy, SocketBridge udp) {
    }

    // Every endpoint routes on its path with any condition, so that a plain GET gets this plugin's 400
    // rather than the router's 404.

    @Provides
    @Named("websockify")
    Route websockifyRoute(SocketBridges bridges) {
        return new Route(RawSocketPlugin.NAME, routePath(config.websockify().path()), RouteCondition.any(), bridges.websockify());
    }

    @Provides
    @Named("wsproxy")
    Route wsproxyRoute(SocketBridges bridges) {
        return new Route(RawSocketPlugin.NAME, routePath(config.wsproxy().path()), RouteCondition.any(), bridges.wsproxy());
    }

    @Provides
    @Named("udp")
    Route udpRoute(SocketBridges bridges) {
        return new Route(RawSocketPlugin.NAME, routePath(config.udp().path()), RouteCondition.any(), bridges.udp());
    }

    @Provides
    @Named("demo")
    Route demoRoute(RawSocketMetrics metrics) {
        String path = config.path(config.demo().path());
        // The prefix without the slash, so that /sockets/demo is redirected to /sockets/demo/.
        return new Route(RawSocketPlugin.NAME, path.substring(0, path.length() - 1), RouteCondition.any(),
                new DemoPage(path, config.path(config.websockify().path()), config.path(config.udp().path()),
                        directSocketsScript(), metrics.protocol()));
    }

    /** Where the demo page's Direct Sockets tab imports the library from; empty when it is not served. */
    private String directSocketsScript() {
        var wisp = config.wisp();
        return wisp.enabled() && wisp.directSockets() ? wisp.directSocketsScript() : "";
    }

    private String routePath(String endpointPath) {
        return config.path(endpointPath);
    }

    @ProvidesIntoSet
    PluginService demoServices(DemoTargets targets, Transport transport, EventLoopGroup workers) {
        if (!config.demo().enabled() || !config.demo().services()) {
            return new PluginService() {
            };
        }
        return new DemoServices(transport, workers, targets, config.demo().banner());
    }

    /** Hot reload (SIGHUP, the config watcher) reads the token file at once, changed or not. */
    @ProvidesIntoSet
    Reloadable reloadableTokenFile(Optional<TokenFile> tokenFile) {
        return new Reloadable() {
            @Override
            public String name() {
                return "websockify token file";
            }

            @Override
            public Staged prepare(ReloadContext next) {
                String path = next.plugin(RawSocketPlugin.NAME, RawSocketConfig.class).tokens().file();
                if (!path.equals(tokenFile.map(f -> f.file().toString()).orElse(""))) {
                    throw new io.isthmus.core.config.InvalidConfigException("isthmus.plugins.rawsocket.tokens.file",
                            "a different token file needs a restart");
                }
                if (tokenFile.isEmpty()) {
                    return Staged.NOTHING;
                }
                var entries = tokenFile.get().readNow();
                return () -> tokenFile.get().use(entries);
            }

            @Override
            public java.util.List<Path> files() {
                return tokenFile.map(f -> java.util.List.of(f.file())).orElse(java.util.List.of());
            }
        };
    }

    /** Hot reload of the signed-token keys (HS256 secret, ES256 public key, clock-skew). */
    @ProvidesIntoSet
    Reloadable reloadableSignedTokens(Optional<SignedTokens> signed) {
        String p = "isthmus.plugins.rawsocket.tokens.jwt.";
        return Reloadable.of("rawsocket token keys",
                java.util.List.of(p + "hs256-secret", p + "es256-public-key", p + "clock-skew"), next -> {
                    var jwt = next.plugin(RawSocketPlugin.NAME, RawSocketConfig.class).tokens().jwt();
                    if (jwt.enabled() != signed.isPresent()) {
                        throw new io.isthmus.core.config.InvalidConfigException("isthmus.plugins.rawsocket.tokens.jwt.enabled",
                                "switching signed tokens on or off needs a restart");
                    }
                    if (signed.isEmpty()) {
                        return Reloadable.Staged.NOTHING;
                    }
                    SignedTokens fresh;
                    try {
                        fresh = new SignedTokens(jwt);
                    } catch (IllegalArgumentException e) {
                        throw new io.isthmus.core.config.InvalidConfigException("isthmus.plugins.rawsocket.tokens.jwt", e.getMessage());
                    }
                    return () -> signed.get().adopt(fresh);
                });
    }

    /** Looks at the token file every reload-interval, on a thread of its own (file I/O never runs on a loop). */
    @ProvidesIntoSet
    PluginService tokenFileWatch(Optional<TokenFile> tokenFile) {
        if (tokenFile.isEmpty()) {
            return new PluginService() {
            };
        }
        return new PluginService() {
            private ScheduledExecutorService timer;

            @Override
            public void start() {
                timer = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "isthmus-rawsocket-tokens");
                    t.setDaemon(true);
                    return t;
                });
                long every = config.tokens().reloadInterval().toMillis();
                timer.scheduleWithFixedDelay(tokenFile.get()::reloadIfChanged, every, every, TimeUnit.MILLISECONDS);
            }

            @Override
            public void stop() {
                if (timer != null) {
                    timer.shutdownNow();
                }
            }
        };
    }
}
