package io.isthmus.core.testing;

import com.google.inject.AbstractModule;
import com.google.inject.Module;
import com.google.inject.multibindings.Multibinder;
import io.isthmus.core.spi.GatewayPlugin;
import io.isthmus.core.spi.PluginConfig;
import io.isthmus.core.spi.Route;
import io.isthmus.core.spi.RouteCondition;
import io.isthmus.core.splice.SpliceEngine;
import java.time.Duration;

/**
 * A plugin that exists only in gateway-core's tests, to exercise the front door, router and splice
 * engine without any real protocol: {@code /pair/...} joins two clients with the same path,
 * {@code /wspair/...} two WebSocket clients ({@link ProbeWebSocketPairing}), {@code /info/}
 * reports what the plugin received, {@code /later/} parks the connection for the test to take ({@link ProbeLater}), {@code /boom/} throws.
 */
public final class ProbePlugin implements GatewayPlugin<ProbePlugin.ProbeConfig> {

    public record ProbeConfig(boolean enabled, Duration idleTimeout) implements PluginConfig {
    }

    @Override
    public String name() {
        return "probe";
    }

    @Override
    public Class<ProbeConfig> configType() {
        return ProbeConfig.class;
    }

    @Override
    public Module module(ProbeConfig config) {
        return new AbstractModule() {
            @Override
            protected void configure() {
                Multibinder<Route> routes = Multibinder.newSetBinder(binder(), Route.class);
                var splices = getProvider(SpliceEngine.class);
                routes.addBinding().toProvider(() -> new Route("probe", "/pair/", RouteCondition.upgrade("probe-pair"),
                        new ProbePairing(splices.get(), config.idleTimeout())));
                routes.addBinding().toProvider(() -> new Route("probe", "/wspair/", RouteCondition.upgrade("websocket"),
                        new ProbeWebSocketPairing(splices.get())));
                routes.addBinding().toInstance(new Route("probe", "/info/", RouteCondition.any(), ProbeInfo.named("any")));
                routes.addBinding().toInstance(new Route("probe", "/info/", RouteCondition.header("x-special"), ProbeInfo.named("header")));
                routes.addBinding().toInstance(new Route("probe", "/info/", RouteCondition.upgrade("websocket"), ProbeInfo.named("websocket")));
                routes.addBinding().toInstance(new Route("probe", "/info/deeper/", RouteCondition.any(), ProbeInfo.named("deeper")));
                routes.addBinding().toInstance(new Route("probe", "/later/", RouteCondition.any(), new ProbeLater()));
                routes.addBinding().toInstance(new Route("probe", "/boom/", RouteCondition.any(), handoff -> {
                    throw new IllegalStateException("probe plugin failing on purpose");
                }));
            }
        };
    }
}
