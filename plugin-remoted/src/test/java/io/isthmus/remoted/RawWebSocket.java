package io.isthmus.remoted;

import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.WsFrames;
import io.isthmus.core.testing.WsFrames.Frame;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * A WebSocket client written frame by frame for the tests that must see exact frames: the notification
 * text frame, the gateway's ping payload, the pong to a masked ping. Client frames are masked (RFC 6455).
 */
final class RawWebSocket implements AutoCloseable {

    final RawClient client;
    final String responseHead;

    private RawWebSocket(RawClient client, String responseHead) {
        this.client = client;
        this.responseHead = responseHead;
    }

    /** Sends a handshake with {@code extraHeaders} (each ending in CRLF) and reads the response head. */
    static RawWebSocket open(InetSocketAddress gateway, String path, String extraHeaders) throws IOException {
        RawClient c = new RawClient(gateway, 60_000);
        c.send(WsFrames.upgradeRequest(path, "127.0.0.1", extraHeaders));
        return new RawWebSocket(c, c.readHead());
    }

    static String key() {
        byte[] b = new byte[16];
        new SecureRandom().nextBytes(b);
        return Base64.getEncoder().encodeToString(b);
    }

    Frame read() throws IOException {
        return WsFrames.read(new DataInputStream(client.in()));
    }

    void send(int opcode, byte[] payload) throws IOException {
        client.send(WsFrames.frame(opcode, payload, true));
    }

    @Override
    public void close() throws IOException {
        client.close();
    }
}
