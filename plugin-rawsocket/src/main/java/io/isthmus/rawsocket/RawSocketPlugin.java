package io.isthmus.rawsocket;

import com.google.inject.AbstractModule;
import com.google.inject.Module;
import com.google.inject.multibindings.Multibinder;
import io.isthmus.core.spi.GatewayPlugin;
import io.isthmus.core.spi.Route;
import io.isthmus.rawsocket.wisp.WispModule;

/**
 * WebSocket to TCP/UDP for web pages (websockify-compatible endpoint, Wisp v1/v2). The Wisp endpoint
 * lives in {@code io.isthmus.rawsocket.wisp} and brings its own module.
 */
public final class RawSocketPlugin implements GatewayPlugin<RawSocketConfig> {

    @Override
    public String name() {
        return "rawsocket";
    }

    @Override
    public Class<RawSocketConfig> configType() {
        return RawSocketConfig.class;
    }

    @Override
    public Module module(RawSocketConfig config) {
        return new AbstractModule() {
            @Override
            protected void configure() {
                Multibinder.newSetBinder(binder(), Route.class);
                install(new WispModule(config.wisp(), config.egress()));
            }
        };
    }
}
