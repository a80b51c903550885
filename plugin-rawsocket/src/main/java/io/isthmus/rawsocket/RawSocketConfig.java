package io.isthmus.rawsocket;

import io.isthmus.core.egress.EgressRules;
import io.isthmus.core.config.ConfigValueException;
import io.isthmus.core.spi.PluginConfig;
import io.isthmus.rawsocket.wisp.WispConfig;

/** The {@code isthmus.plugins.rawsocket} block; every key is documented in this module's reference.conf. */
public record RawSocketConfig(boolean enabled, String prefix, EgressRules egress, WispConfig wisp) implements PluginConfig {

    public RawSocketConfig {
        ConfigValueException.require(prefix != null && prefix.startsWith("/"), "prefix", "must start with '/'");
    }
}
