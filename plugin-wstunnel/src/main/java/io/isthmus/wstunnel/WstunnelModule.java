package io.isthmus.wstunnel;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.multibindings.Multibinder;
import com.google.inject.multibindings.ProvidesIntoSet;
import io.isthmus.core.config.GatewayConfig;
import io.isthmus.core.frontdoor.HeadLimits;
import io.isthmus.core.metrics.GatewayMetrics;
import io.isthmus.core.reload.Reloadable;
import io.isthmus.core.spi.PluginService;
import io.isthmus.core.spi.Route;
import io.isthmus.core.spi.RouteCondition;
import io.isthmus.core.splice.SpliceEngine;
import io.isthmus.wstunnel.wsmux.WsmuxSession;
import java.time.Clock;

/** Wires websocktunnel: secrets, tokens, the session registry, metrics, one route for the prefix. */
final class WstunnelModule extends AbstractModule {

    private final WstunnelConfig config;

    WstunnelModule(WstunnelConfig config) {
        this.config = config;
    }

    @Override
    protected void configure() {
        Multibinder.newSetBinder(binder(), Route.class);
        Multibinder.newSetBinder(binder(), PluginService.class);
        Multibinder.newSetBinder(binder(), Reloadable.class);
    }

    @Provides
    @Singleton
    WstunnelSecrets secrets() {
        return new WstunnelSecrets(config);
    }

    @Provides
    @Singleton
    TunnelRegistry registry() {
        return new TunnelRegistry();
    }

    @Provides
    @Singleton
    WstunnelContext context(WstunnelSecrets secrets, TunnelRegistry registry, GatewayMetrics metrics, SpliceEngine splices,
                            GatewayConfig gateway) {
        TunnelTokens tokens = new TunnelTokens(secrets.secrets(), config.audience(), config.clockSkew(),
                config.maxTokenLifetime(), Clock.systemUTC());
        // Empty: each client is told the address it reached us at (its Host), see WstunnelHandler.
        String urlPrefix = config.urlPrefix().endsWith("/")
                ? config.urlPrefix().substring(0, config.urlPrefix().length() - 1) : config.urlPrefix();
        return new WstunnelContext(config, registry, tokens, new WstunnelMetrics(metrics.protocol(WstunnelPlugin.NAME), registry),
                splices, HeadLimits.from(gateway.limits()), urlPrefix);
    }

    @ProvidesIntoSet
    Route route(WstunnelContext ctx) {
        return new Route(WstunnelPlugin.NAME, config.prefix(), RouteCondition.any(), new WstunnelHandler(ctx));
    }

    /** Hot reload of the secrets and token rules: new registrations are checked with them; live sessions stay. */
    @ProvidesIntoSet
    Reloadable reloadableSecrets(WstunnelSecrets secrets, WstunnelContext ctx) {
        String p = "isthmus.plugins." + WstunnelPlugin.NAME + ".";
        return Reloadable.of("wstunnel secrets",
                java.util.List.of(p + "secrets", p + "audience", p + "clock-skew", p + "max-token-lifetime"), next -> {
                    WstunnelConfig c = next.plugin(WstunnelPlugin.NAME, WstunnelConfig.class);
                    TunnelTokens fresh;
                    try {
                        fresh = new TunnelTokens(secrets.reloaded(c), c.audience(), c.clockSkew(), c.maxTokenLifetime(),
                                Clock.systemUTC());
                    } catch (IllegalArgumentException e) {
                        throw new io.isthmus.core.config.InvalidConfigException("isthmus.plugins.wstunnel.secrets", e.getMessage());
                    }
                    return () -> ctx.tokens().adopt(fresh);
                });
    }

    @ProvidesIntoSet
    PluginService lifecycle(WstunnelSecrets secrets, WstunnelContext ctx, GatewayConfig gateway) {
        return new PluginService() {
            @Override
            public void start() {
                String text = secrets.announcement(ctx.urlPrefix().isEmpty()
                        ? (gateway.tls().enabled() ? "https://" : "http://") + gateway.listen() + config.mount() : ctx.urlPrefix());
                if (!text.isEmpty()) {
                    // Standard output, never a logger: it reaches the operator and no log file.
                    System.out.print(text);
                    System.out.flush();
                }
            }

            @Override
            public void drain() {
                for (WsmuxSession s : ctx.registry().all()) {
                    s.drain();
                }
            }
        };
    }
}
