package io.isthmus.wstunnel;

import io.isthmus.wstunnel.wsmux.WsmuxSession;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Registered client sessions by id. A new registration for an id replaces the old session, which is
 * closed at once (TCP close, no close frame: the Go server's way; its streams die). A session leaves the
 * map when it closes for any reason, unless a newer one already took its place.
 */
public final class TunnelRegistry {

    private final ConcurrentMap<String, WsmuxSession> sessions = new ConcurrentHashMap<>();

    /** Installs {@code session} for {@code id}; returns the session it replaced, already being closed, or null. */
    public WsmuxSession register(String id, WsmuxSession session) {
        WsmuxSession old = sessions.put(id, session);
        if (old != null) {
            old.abort();
        }
        session.closeFuture().addListener(f -> sessions.remove(id, session));
        return old;
    }

    public WsmuxSession find(String id) {
        return sessions.get(id);
    }

    public int size() {
        return sessions.size();
    }

    /** Every session, for draining at shutdown. */
    public Iterable<WsmuxSession> all() {
        return sessions.values();
    }
}
