package io.isthmus.core.reload;

import com.typesafe.config.Config;
import io.isthmus.core.PluginCatalog;
import io.isthmus.core.ValidatedConfig;
import io.isthmus.core.config.GatewayConfig;
import io.isthmus.core.config.InvalidConfigException;
import io.isthmus.core.spi.PluginConfig;

/** The new config tree a reload offers each {@link Reloadable}: already loaded and validated as a whole. */
public record ReloadContext(Config root, ValidatedConfig validated) {

    public GatewayConfig core() {
        return validated.core();
    }

    /** The new record of plugin {@code name}'s block. */
    public <C extends PluginConfig> C plugin(String name, Class<C> type) {
        for (PluginCatalog.Entry e : validated.plugins().entries()) {
            if (e.name().equals(name)) {
                return type.cast(e.config());
            }
        }
        throw new InvalidConfigException(PluginCatalog.PLUGINS_PATH + "." + name, "no such plugin");
    }
}
