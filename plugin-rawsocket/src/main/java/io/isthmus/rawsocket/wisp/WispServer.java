package io.isthmus.rawsocket.wisp;

import io.isthmus.core.egress.EgressDialer;
import io.isthmus.core.egress.EgressPolicy;
import io.isthmus.core.splice.SpliceEngine;
import java.net.InetAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What every Wisp session of one endpoint shares: its config, the egress policy (the gateway's rules, the
 * plugin's and the endpoint's), the dialer, the splice engine, the metrics, and the count of WebSockets per
 * client IP.
 */
public final class WispServer {

    private final WispConfig config;
    private final EgressPolicy policy;
    private final EgressDialer dialer;
    private final SpliceEngine splices;
    private final WispMetrics metrics;
    private final ConcurrentHashMap<InetAddress, Integer> perIp = new ConcurrentHashMap<>();
    private final Set<WispSession> sessions = ConcurrentHashMap.newKeySet();
    private volatile boolean draining;

    public WispServer(WispConfig config, EgressPolicy policy, EgressDialer dialer, SpliceEngine splices, WispMetrics metrics) {
        this.config = config;
        this.policy = policy;
        this.dialer = dialer;
        this.splices = splices;
        this.metrics = metrics;
    }

    public WispConfig config() {
        return config;
    }

    public EgressPolicy policy() {
        return policy;
    }

    public EgressDialer dialer() {
        return dialer;
    }

    public SpliceEngine splices() {
        return splices;
    }

    public WispMetrics metrics() {
        return metrics;
    }

    /** Counts one more WebSocket from {@code ip}; false (nothing counted) at {@code max-websockets-per-ip}. */
    boolean acquire(InetAddress ip) {
        boolean[] ok = {false};
        perIp.compute(ip, (k, n) -> {
            int now = n == null ? 0 : n;
            if (now >= config.maxWebsocketsPerIp()) {
                return n;
            }
            ok[0] = true;
            return now + 1;
        });
        return ok[0];
    }

    void release(InetAddress ip) {
        perIp.computeIfPresent(ip, (k, n) -> n <= 1 ? null : n - 1);
    }

    /** Tracks a live session until its WebSocket closes; a draining server drains it at once. */
    void track(WispSession session) {
        sessions.add(session);
        session.closeFuture().addListener(f -> sessions.remove(session));
        if (draining) {
            session.drain();
        }
    }

    /**
     * The gateway is shutting down: every session refuses new streams and closes (1001) with its last
     * one; the gateway's drain deadline aborts what is left.
     */
    public void drain() {
        draining = true;
        for (WispSession s : sessions) {
            s.drain();
        }
    }

    /** Sessions alive now. */
    public int sessions() {
        return sessions.size();
    }

    /** WebSockets counted for {@code ip} now. */
    int webSockets(InetAddress ip) {
        return perIp.getOrDefault(ip, 0);
    }
}
