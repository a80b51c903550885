package io.isthmus.core.mux;

import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * WebSocket pings with an empty payload at start and every {@code interval}; at each tick, a session that
 * has not answered the previous ping is aborted (websocktunnel's rule, §4: a dead peer goes after one
 * missed interval).
 */
public final class PingKeepalive implements MuxKeepalive {

    private final Duration interval;
    private MuxSession session;
    private ScheduledFuture<?> timer;
    private boolean awaitingPong;

    public PingKeepalive(Duration interval) {
        if (interval.isZero() || interval.isNegative()) {
            throw new IllegalArgumentException("ping interval must be positive");
        }
        this.interval = interval;
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
            session.peerDead();
            stop();
            return;
        }
        ping();
    }

    private void ping() {
        awaitingPong = true;
        session.sendControl(new PingWebSocketFrame());
    }

    @Override
    public void pongReceived() {
        awaitingPong = false;
    }

    @Override
    public void stop() {
        if (timer != null) {
            timer.cancel(false);
        }
    }
}
