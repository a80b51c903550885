package io.isthmus.core.testing;

import io.isthmus.core.spi.ConnectionHandler;
import io.isthmus.core.spi.Handoff;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A plugin route that takes its connections later: it installs no handler during the hand-off and only
 * parks the hand-off for the test, which then drives the channel itself. Shows what the front door does
 * for plugins that are not ready for bytes at once.
 */
public final class ProbeLater implements ConnectionHandler {

    /** Hand-offs not yet taken by a test, in arrival order. */
    public static final BlockingQueue<Handoff> PARKED = new LinkedBlockingQueue<>();

    @Override
    public void handle(Handoff handoff) {
        PARKED.add(handoff);
    }
}
