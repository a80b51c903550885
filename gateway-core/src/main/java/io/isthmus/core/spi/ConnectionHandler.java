package io.isthmus.core.spi;

/** What a route leads to: the plugin code that takes over a connection after its request head. */
@FunctionalInterface
public interface ConnectionHandler {

    /**
     * Called on the channel's event loop, after the front door has left the pipeline. The handler owns
     * the channel and {@link Handoff#leftover()} from here on; it must not block.
     */
    void handle(Handoff handoff);
}
