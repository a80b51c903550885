package io.isthmus.core.spi;

/** What every plugin block has: a switch. A disabled plugin contributes nothing and costs nothing. */
public interface PluginConfig {
    boolean enabled();
}
