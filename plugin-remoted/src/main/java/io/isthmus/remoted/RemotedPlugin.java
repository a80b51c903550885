package io.isthmus.remoted;

import com.google.inject.Module;
import io.isthmus.core.spi.GatewayPlugin;

/** Remoted API server: firewalled TCP servers accept clients over a WebSocket registration and WebRoute links. */
public final class RemotedPlugin implements GatewayPlugin<RemotedConfig> {

    static final String NAME = "remoted";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Class<RemotedConfig> configType() {
        return RemotedConfig.class;
    }

    @Override
    public Module module(RemotedConfig config) {
        return new RemotedModule(config);
    }
}
