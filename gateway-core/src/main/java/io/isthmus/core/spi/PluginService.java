package io.isthmus.core.spi;

/**
 * Something a plugin runs beside its routes (a registry sweeper, a secret printed once), bound with
 * {@code Multibinder.newSetBinder(binder(), PluginService.class)}. Called on the main thread.
 */
public interface PluginService {

    /** After the public port is bound. */
    default void start() {
    }

    /** When draining begins: refuse new work, tell long-lived peers to go elsewhere. */
    default void drain() {
    }

    /** After the drain, before the event loops stop. */
    default void stop() {
    }
}
