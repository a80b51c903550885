package io.isthmus.rawsocket;

import com.google.inject.Module;
import io.isthmus.core.spi.GatewayPlugin;
import io.isthmus.rawsocket.wisp.WispModule;

/**
 * Sockets for web pages, one WebSocket per socket: a websockify-compatible endpoint, wsproxy paths, UDP
 * flows for Emscripten, and a demo page (see the module's README). Wisp, many streams per WebSocket, has a
 * block and a module of its own ({@code io.isthmus.rawsocket.wisp}).
 */
public final class RawSocketPlugin implements GatewayPlugin<RawSocketConfig> {

    static final String NAME = "rawsocket";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Class<RawSocketConfig> configType() {
        return RawSocketConfig.class;
    }

    @Override
    public Module module(RawSocketConfig config) {
        return com.google.inject.util.Modules.combine(new RawSocketModule(config),
                new WispModule(config.wisp(), config.egress()));
    }
}
