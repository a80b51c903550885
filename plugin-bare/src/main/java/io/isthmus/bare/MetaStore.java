package io.isthmus.bare;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The v1/v2 WebSocket meta store: {@code ws-new-meta} registers an id (32 hex characters) for a version,
 * the tunnel stores the remote's response under it, {@code ws-meta} reads it once. Entries expire after
 * {@code meta-expiry} (30 s, as the reference). In memory: ids are meaningful only to this instance, and a
 * load balancer sends the page's requests to it by hash of the client.
 */
final class MetaStore {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final long expiryNanos;
    private final Map<String, Meta> metas = new ConcurrentHashMap<>();
    private final AtomicInteger puts = new AtomicInteger();

    /** One id's state: the v2 remote request (null for v1) and, once the tunnel is up, the remote's response. */
    static final class Meta {
        final int version;
        final long createdNanos = System.nanoTime();
        final RemoteRequest remote;
        /** v2: the headers forwarded from the upgrade request (X-Bare-Forward-Headers of ws-new-meta). */
        final java.util.List<String> forwardNames;
        volatile int status;
        volatile String statusText;
        volatile Map<String, Object> headers;

        Meta(int version, RemoteRequest remote, java.util.List<String> forwardNames) {
            this.version = version;
            this.remote = remote;
            this.forwardNames = forwardNames;
        }

        boolean ready() {
            return headers != null;
        }
    }

    MetaStore(Duration expiry) {
        this.expiryNanos = expiry.toNanos();
    }

    String register(int version, RemoteRequest remote, java.util.List<String> forwardNames) {
        byte[] id = new byte[16];
        RANDOM.nextBytes(id);
        String key = HexFormat.of().formatHex(id);
        if (puts.incrementAndGet() % 64 == 0) {
            long now = System.nanoTime();
            metas.values().removeIf(m -> now - m.createdNanos >= expiryNanos);
        }
        metas.put(key, new Meta(version, remote, forwardNames));
        return key;
    }

    /** The live meta of {@code version} under {@code id}, or null (unknown, expired or another version's). */
    Meta get(String id, int version) {
        if (id == null) {
            return null;
        }
        Meta m = metas.get(id);
        if (m == null || m.version != version) {
            return null;
        }
        if (System.nanoTime() - m.createdNanos >= expiryNanos) {
            metas.remove(id, m);
            return null;
        }
        return m;
    }

    void remove(String id) {
        metas.remove(id);
    }
}
