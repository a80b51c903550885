package io.isthmus.bare;

import com.google.inject.AbstractModule;
import com.google.inject.Module;
import io.isthmus.core.spi.GatewayPlugin;

/**
 * TompHTTP Bare server v1, v2, v3 (HTTP and WebSocket forwarding for service-worker proxies). Its protocol lands with its own issue; until then the plugin binds and validates its config
 * block and contributes no route.
 */
public final class BarePlugin implements GatewayPlugin<BareConfig> {

    @Override
    public String name() {
        return "bare";
    }

    @Override
    public Class<BareConfig> configType() {
        return BareConfig.class;
    }

    @Override
    public Module module(BareConfig config) {
        return new AbstractModule() {
            @Override
            protected void configure() {
                // No routes yet.
            }
        };
    }
}
