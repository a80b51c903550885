package io.isthmus.bare;

import io.isthmus.core.egress.EgressRules;
import io.isthmus.core.config.ConfigValueException;
import io.isthmus.core.spi.PluginConfig;

/** The {@code isthmus.plugins.bare} block; every key is documented in this module's reference.conf. */
public record BareConfig(boolean enabled, String prefix, EgressRules egress) implements PluginConfig {

    public BareConfig {
        ConfigValueException.require(prefix != null && prefix.startsWith("/"), "prefix", "must start with '/'");
    }
}
