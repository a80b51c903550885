package io.isthmus.core.spi;

import com.google.inject.Module;

/**
 * A protocol plugin, found with {@link java.util.ServiceLoader}.
 *
 * <p>The core binds the plugin's HOCON block {@code isthmus.plugins.<name>} to {@link #configType()},
 * validates it, and — only when it is enabled — installs {@link #module} in a child injector of its own,
 * where the config record is already bound. The module contributes {@link Route}s through
 * {@code Multibinder.newSetBinder(binder(), Route.class)}.
 */
public interface GatewayPlugin<C extends PluginConfig> {

    /** The plugin's block under {@code isthmus.plugins}; also its {@code protocol} label in metrics. */
    String name();

    /** The immutable record the plugin's block binds to (kebab-case keys, validated in its constructor). */
    Class<C> configType();

    /** The Guice module of an enabled plugin. */
    Module module(C config);
}
