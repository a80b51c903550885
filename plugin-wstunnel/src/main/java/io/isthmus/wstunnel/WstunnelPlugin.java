package io.isthmus.wstunnel;

import com.google.inject.Module;
import io.isthmus.core.spi.GatewayPlugin;

/**
 * websocktunnel, wire-compatible with Taskcluster's clients: clients register over a WebSocket with a JWT
 * and an id, viewers reach them at {@code <url-prefix>/<id>/...}, every viewer request or WebSocket is a
 * wsmux stream on the client's WebSocket. See {@code plugin-wstunnel/README.md}.
 */
public final class WstunnelPlugin implements GatewayPlugin<WstunnelConfig> {

    public static final String NAME = "wstunnel";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Class<WstunnelConfig> configType() {
        return WstunnelConfig.class;
    }

    @Override
    public Module module(WstunnelConfig config) {
        return new WstunnelModule(config);
    }
}
