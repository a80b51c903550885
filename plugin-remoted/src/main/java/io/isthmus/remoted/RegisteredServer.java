package io.isthmus.remoted;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A firewalled server's registration: the WebSocket it holds open for one path. Clients that arrive for
 * the path are announced on it; while they wait for the server's connect-back they are tracked here, so
 * that when the registration ends they are closed at once (with no bytes, as the reference does).
 */
final class RegisteredServer {

    private final String path;
    private final Channel webSocket;
    private final Set<Channel> waitingClients = ConcurrentHashMap.newKeySet();
    private volatile boolean active;

    RegisteredServer(String path, Channel webSocket) {
        this.path = path;
        this.webSocket = webSocket;
    }

    String path() {
        return path;
    }

    Channel webSocket() {
        return webSocket;
    }

    /** True once the 101 went out; a reservation before that does not receive clients. */
    boolean isActive() {
        return active && webSocket.isActive();
    }

    void activate() {
        active = true;
    }

    /** Sends one notification text frame (unmasked, as a server's frames are). */
    void announce(String json) {
        webSocket.writeAndFlush(new TextWebSocketFrame(json));
    }

    /**
     * The gateway drains: close 1001 (going away), so the server registers again — through the load
     * balancer, on another instance — as the SDK does whenever its WebSocket ends. Links already made are
     * separate connections and carry on.
     */
    void goAway() {
        // A lingering close, so that a pong in flight does not turn into a reset that destroys the close frame.
        io.isthmus.core.http.LingeringClose.after(webSocket.writeAndFlush(
                new io.netty.handler.codec.http.websocketx.CloseWebSocketFrame(
                        io.netty.handler.codec.http.websocketx.WebSocketCloseStatus.ENDPOINT_UNAVAILABLE,
                        "The gateway is shutting down; register again")));
    }

    /** Tracks a client waiting for this server's connect-back until it links or closes. */
    void clientWaiting(Channel client) {
        waitingClients.add(client);
        client.closeFuture().addListener(f -> waitingClients.remove(client));
    }

    void clientLinked(Channel client) {
        waitingClients.remove(client);
    }

    /** The registration ended: every client still waiting on it is closed without a response. */
    void closeWaitingClients() {
        for (Channel client : waitingClients.toArray(new Channel[0])) {
            client.close();
        }
        waitingClients.clear();
    }
}
