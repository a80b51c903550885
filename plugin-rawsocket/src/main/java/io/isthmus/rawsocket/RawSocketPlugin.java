package io.isthmus.rawsocket;

import com.google.inject.AbstractModule;
import com.google.inject.Module;
import io.isthmus.core.spi.GatewayPlugin;

/**
 * WebSocket to TCP/UDP for web pages (websockify-compatible endpoint, Wisp v1/v2). Its protocol lands with its own issue; until then the plugin binds and validates its config
 * block and contributes no route.
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
                // No routes yet.
            }
        };
    }
}
