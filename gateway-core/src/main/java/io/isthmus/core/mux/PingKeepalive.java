package io.isthmus.core.mux;

import io.isthmus.core.metrics.ProtocolMetrics;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * WebSocket pings with an empty payload at start and every {@code interval}; at each tick, a session that
 * has not answered the previous ping is aborted (websocktunnel's rule, §4: a dead peer goes after one
 * missed interval). With a {@link ProtocolMetrics}, pings and dead peers are counted in the same meters as
 * {@code io.isthmus.core.http.WebSocketKeepalive}'s ({@code isthmus_websocket_pings_total},
 * {@code isthmus_websocket_dead_peers_total}), so every long-lived WebSocket reports them alike.
 */
public final class PingKeepalive implements MuxKeepalive {

    private final Duration interval;
    private final boolean framesProveLife;
    private final ProtocolMetrics metrics;
    private MuxSession session;
    private ScheduledFuture<?> timer;
    private boolean awaitingPong;

    public PingKeepalive(Duration interval) {
        this(interval, false, null);
    }

    /**
     * @param framesProveLife whether any frame from the peer counts like a pong: a peer busy sending has its
     *                        pong queued behind its data (a full TCP buffer to a slow reader can hold it back
     *                        for longer than an interval), and is alive; a silent peer still goes after one
     *                        missed interval
     * @param metrics         counts pings and dead peers; null counts nothing
     */
    public PingKeepalive(Duration interval, boolean framesProveLife, ProtocolMetrics metrics) {
        if (interval.isZero() || interval.isNegative()) {
            throw new IllegalArgumentException("ping interval must be positive");
        }
        this.interval = interval;
        this.framesProveLife = framesProveLife;
        this.metrics = metrics;
    }

    @Override
    public void start(MuxSession s) {
        this.session = s;
        ping();
        long nanos = interval.toNanos();
        timer = s.eventLoop().scheduleAtFixedRate(this::tick, nanos, nanos, TimeUnit.NANOSECONDS);
    }

    private void tick() {
        if (awaitingPong) {
            if (metrics != null) {
                metrics.websocketDeadPeer();
            }
            session.peerDead();
            stop();
            return;
        }
        ping();
    }

    private void ping() {
        awaitingPong = true;
        if (metrics != null) {
            metrics.websocketPingSent();
        }
        session.sendControl(new PingWebSocketFrame());
    }

    @Override
    public void pongReceived() {
        awaitingPong = false;
    }

    @Override
    public void frameReceived() {
        if (framesProveLife) {
            awaitingPong = false;
        }
    }

    @Override
    public void stop() {
        if (timer != null) {
            timer.cancel(false);
        }
    }
}
