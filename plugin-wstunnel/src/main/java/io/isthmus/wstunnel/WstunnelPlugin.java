package io.isthmus.wstunnel;

import com.google.inject.AbstractModule;
import com.google.inject.Module;
import io.isthmus.core.spi.GatewayPlugin;

/**
 * websocktunnel-compatible tunnels (JWT, wsmux, viewer URLs). Its protocol lands with its own issue; until then the plugin binds and validates its config
 * block and contributes no route.
 */
public final class WstunnelPlugin implements GatewayPlugin<WstunnelConfig> {

    @Override
    public String name() {
        return "wstunnel";
    }

    @Override
    public Class<WstunnelConfig> configType() {
        return WstunnelConfig.class;
    }

    @Override
    public Module module(WstunnelConfig config) {
        return new AbstractModule() {
            @Override
            protected void configure() {
                // No routes yet.
            }
        };
    }
}
