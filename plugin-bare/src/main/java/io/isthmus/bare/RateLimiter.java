package io.isthmus.bare;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Requests per client address in fixed windows (the reference's limiter counts keep-alive requests per IP
 * with rate-limiter-flexible; ours counts every request). The address is the front door's, which trusts
 * forwarding headers only from configured proxies, so a forged X-Forwarded-For does not reset it.
 */
final class RateLimiter {

    private final int limit;
    private final long windowNanos;
    private final ConcurrentMap<InetAddress, Window> windows = new ConcurrentHashMap<>();

    private record Window(long startNanos, int count) {
    }

    /** What a refused request is told: seconds until the window ends. */
    record Verdict(boolean allowed, int remaining, long resetSeconds) {
    }

    RateLimiter(int limit, java.time.Duration window) {
        this.limit = limit;
        this.windowNanos = window.toNanos();
    }

    int limit() {
        return limit;
    }

    Verdict admit(InetAddress client) {
        long now = System.nanoTime();
        if (windows.size() > 10_000) {
            // Bounded memory: forget every address whose window has passed.
            windows.values().removeIf(w -> now - w.startNanos >= windowNanos);
        }
        Window w = windows.compute(client, (k, old) -> old == null || now - old.startNanos >= windowNanos
                ? new Window(now, 1) : new Window(old.startNanos, old.count + 1));
        long reset = Math.max(1, (w.startNanos + windowNanos - now + 999_999_999L) / 1_000_000_000L);
        return new Verdict(w.count <= limit, Math.max(0, limit - w.count), reset);
    }
}
