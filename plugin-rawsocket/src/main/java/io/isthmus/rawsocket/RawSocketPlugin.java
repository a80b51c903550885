package io.isthmus.rawsocket;

import com.google.inject.Module;
import io.isthmus.core.spi.GatewayPlugin;

/**
 * Sockets for web pages, one WebSocket per socket: a websockify-compatible endpoint, wsproxy paths, UDP
 * flows for Emscripten, and a demo page (see the module's README). Wisp, many streams per WebSocket, joins
 * this plugin later with a block of its own.
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
        return new RawSocketModule(config);
    }
}
