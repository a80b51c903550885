package io.isthmus.core.testing;

import io.isthmus.core.http.WebSocketHandshake;
import io.isthmus.core.spi.ConnectionHandler;
import io.isthmus.core.spi.Handoff;
import io.isthmus.core.splice.SpliceEngine;
import io.isthmus.core.splice.SpliceOptions;
import io.isthmus.core.splice.WebSocketEndpoint;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Joins two WebSocket clients that ask for the same {@code /wspair/...} path: each gets its 101 at once and
 * becomes a {@link WebSocketEndpoint} (binary messages as the stream, 1 KiB frame limit); the first waits,
 * the second is spliced to it without half-close (a WebSocket cannot carry one).
 */
final class ProbeWebSocketPairing implements ConnectionHandler {

    static final int MAX_FRAME_PAYLOAD = 1024;

    private static final ConcurrentHashMap<String, WebSocketEndpoint> waiting = new ConcurrentHashMap<>();
    private final SpliceEngine splices;

    ProbeWebSocketPairing(SpliceEngine splices) {
        this.splices = splices;
    }

    @Override
    public void handle(Handoff handoff) {
        WebSocketHandshake.complete(handoff.channel(), handoff.head(), null, MAX_FRAME_PAYLOAD);
        WebSocketEndpoint endpoint = WebSocketEndpoint.adopt(handoff.channel(), handoff.leftover(), 1 << 20);
        String key = handoff.head().path();
        // The 101 is already out, so the partner may arrive on another event loop at once.
        WebSocketEndpoint first = ProbeMeeting.meet(waiting, key, endpoint);
        if (first == null) {
            handoff.channel().closeFuture().addListener(f -> waiting.remove(key, endpoint));
            return;
        }
        splices.join(first, endpoint, SpliceOptions.of("probe-ws", Duration.ofMinutes(1)).withHalfClose(false));
    }
}
