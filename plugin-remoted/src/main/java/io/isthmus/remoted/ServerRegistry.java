package io.isthmus.remoted;

import io.netty.channel.Channel;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Which server holds which path (the path without its query, as the reference keys it). A path is first
 * reserved, and serves clients only once its WebSocket 101 is out — the reference registered it before the
 * handshake succeeded and then crashed on the next client. One server per path; the registration ends with
 * its WebSocket.
 */
final class ServerRegistry {

    private final ConcurrentMap<String, RegisteredServer> byPath = new ConcurrentHashMap<>();

    /** Reserves {@code path} for a server completing its handshake, or returns null when the path is taken. */
    RegisteredServer reserve(String path, Channel webSocket) {
        RegisteredServer server = new RegisteredServer(path, webSocket);
        if (byPath.putIfAbsent(path, server) != null) {
            return null;
        }
        webSocket.closeFuture().addListener(f -> release(server));
        return server;
    }

    /** The active server on {@code path}, or null. */
    RegisteredServer active(String path) {
        RegisteredServer server = byPath.get(path);
        return server != null && server.isActive() ? server : null;
    }

    /** Every registration, reserved or active. */
    java.util.List<RegisteredServer> all() {
        return java.util.List.copyOf(byPath.values());
    }

    int size() {
        return byPath.size();
    }

    private void release(RegisteredServer server) {
        byPath.remove(server.path(), server);
        server.closeWaitingClients();
    }
}
