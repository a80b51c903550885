package io.isthmus.wstunnel;

import io.isthmus.core.config.ConfigValueException;
import io.isthmus.core.spi.PluginConfig;

/** The {@code isthmus.plugins.wstunnel} block; every key is documented in this module's reference.conf. */
public record WstunnelConfig(boolean enabled, String prefix) implements PluginConfig {

    public WstunnelConfig {
        ConfigValueException.require(prefix != null && prefix.startsWith("/"), "prefix", "must start with '/'");
    }
}
