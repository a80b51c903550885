package io.isthmus.core;

import com.google.inject.Injector;
import com.google.inject.Key;
import com.google.inject.TypeLiteral;
import io.isthmus.core.config.ConfigBinder;
import io.isthmus.core.config.InvalidConfigException;
import io.isthmus.core.spi.GatewayPlugin;
import io.isthmus.core.spi.PluginConfig;
import io.isthmus.core.spi.PluginService;
import io.isthmus.core.spi.Route;
import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;

/**
 * The plugins on the class path (ServiceLoader), each with its validated config block. An enabled plugin
 * gets a child injector of its own (Trino style), where its config record is bound, so that two plugins'
 * bindings never collide; its routes and services are read from there.
 */
public final class PluginCatalog {

    public static final String PLUGINS_PATH = "isthmus.plugins";

    /** A plugin with its bound config. */
    public record Entry(GatewayPlugin<PluginConfig> plugin, PluginConfig config) {
        public String name() {
            return plugin.name();
        }
    }

    /** An enabled plugin after its injector was built. */
    public record Started(Entry entry, List<Route> routes, List<PluginService> services,
                          List<io.isthmus.core.reload.Reloadable> reloadables) {
    }

    private final List<Entry> entries;

    private PluginCatalog(List<Entry> entries) {
        this.entries = entries;
    }

    /** Finds the plugins and binds their blocks; an unknown block or an invalid key stops here. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static PluginCatalog discover(Config root, ClassLoader loader) {
        Map<String, GatewayPlugin<PluginConfig>> byName = new LinkedHashMap<>();
        for (GatewayPlugin plugin : ServiceLoader.load(GatewayPlugin.class, loader)) {
            if (byName.put(plugin.name(), plugin) != null) {
                throw new IllegalStateException("two plugins are named " + plugin.name());
            }
        }
        if (root.hasPath(PLUGINS_PATH)) {
            if (root.getValue(PLUGINS_PATH).valueType() != com.typesafe.config.ConfigValueType.OBJECT) {
                throw new InvalidConfigException(PLUGINS_PATH, "expected an object");
            }
            for (String block : root.getConfig(PLUGINS_PATH).root().keySet()) {
                if (!byName.containsKey(block)) {
                    throw new InvalidConfigException(PLUGINS_PATH + "." + block,
                            "no such plugin (known: " + String.join(", ", new TreeSet<>(byName.keySet())) + ")");
                }
            }
        }
        List<Entry> entries = new ArrayList<>();
        for (GatewayPlugin<PluginConfig> plugin : byName.values()) {
            PluginConfig config = ConfigBinder.bind(root, PLUGINS_PATH + "." + plugin.name(), plugin.configType());
            entries.add(new Entry(plugin, config));
        }
        return new PluginCatalog(List.copyOf(entries));
    }

    public List<Entry> entries() {
        return entries;
    }

    public List<Entry> enabled() {
        return entries.stream().filter(e -> e.config().enabled()).toList();
    }

    /** Builds each enabled plugin's child injector and collects what it contributes. */
    public List<Started> start(Injector core) {
        List<Started> started = new ArrayList<>();
        for (Entry e : enabled()) {
            Injector child = core.createChildInjector(
                    binder -> bindConfig(binder, e),
                    e.plugin().module(e.config()));
            started.add(new Started(e, setOf(child, Route.class), setOf(child, PluginService.class),
                    setOf(child, io.isthmus.core.reload.Reloadable.class)));
        }
        return started;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void bindConfig(com.google.inject.Binder binder, Entry e) {
        binder.bind((Class) e.plugin().configType()).toInstance(e.config());
    }

    private static <T> List<T> setOf(Injector injector, Class<T> type) {
        Key<Set<T>> key = (Key<Set<T>>) Key.get(TypeLiteral.get(
                com.google.inject.util.Types.setOf(type)));
        if (injector.getExistingBinding(key) == null) {
            return List.of();
        }
        return List.copyOf(injector.getInstance(key));
    }
}
