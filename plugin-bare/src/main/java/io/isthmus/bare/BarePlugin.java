package io.isthmus.bare;

import com.google.inject.Module;
import io.isthmus.core.spi.GatewayPlugin;

/**
 * The TompHTTP Bare server v1, v2 and v3: HTTP and WebSocket forwarding for service-worker web proxies,
 * every remote dialed through the core's egress policy.
 */
public final class BarePlugin implements GatewayPlugin<BareConfig> {

    public static final String NAME = "bare";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Class<BareConfig> configType() {
        return BareConfig.class;
    }

    @Override
    public Module module(BareConfig config) {
        return new BareModule(config);
    }
}
