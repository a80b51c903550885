package io.isthmus.core;

import com.typesafe.config.Config;
import io.isthmus.core.config.ConfigBinder;
import io.isthmus.core.config.GatewayConfig;

/**
 * The whole tree, validated: the core's records and every plugin's. This is what {@code isthmus
 * check-config} runs, and the first thing {@link Gateway#start} does.
 */
public record ValidatedConfig(GatewayConfig core, PluginCatalog plugins) {

    public static ValidatedConfig of(Config root) {
        GatewayConfig core = ConfigBinder.bind(root.withoutPath(PluginCatalog.PLUGINS_PATH), "isthmus", GatewayConfig.class);
        PluginCatalog plugins = PluginCatalog.discover(root, Thread.currentThread().getContextClassLoader());
        return new ValidatedConfig(core, plugins);
    }
}
