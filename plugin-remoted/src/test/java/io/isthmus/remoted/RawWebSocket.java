package io.isthmus.remoted;

import io.isthmus.core.testing.RawClient;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * A WebSocket client written frame by frame for the tests that must see exact frames: the notification
 * text frame, the gateway's ping payload, the pong to a masked ping. Client frames are masked (RFC 6455).
 */
final class RawWebSocket implements AutoCloseable {

    record Frame(int opcode, byte[] payload, boolean masked) {
        String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    final RawClient client;
    final String responseHead;

    private RawWebSocket(RawClient client, String responseHead) {
        this.client = client;
        this.responseHead = responseHead;
    }

    /** Sends a handshake with {@code extraHeaders} (each ending in CRLF) and reads the response head. */
    static RawWebSocket open(InetSocketAddress gateway, String path, String extraHeaders) throws IOException {
        RawClient c = new RawClient(gateway, 60_000);
        c.send("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" + extraHeaders + "\r\n");
        return new RawWebSocket(c, c.readHead());
    }

    static String key() {
        byte[] b = new byte[16];
        new SecureRandom().nextBytes(b);
        return Base64.getEncoder().encodeToString(b);
    }

    Frame read() throws IOException {
        DataInputStream in = new DataInputStream(client.in());
        int b0 = in.readUnsignedByte();
        int b1 = in.readUnsignedByte();
        long len = b1 & 0x7f;
        if (len == 126) {
            len = in.readUnsignedShort();
        } else if (len == 127) {
            len = in.readLong();
        }
        boolean masked = (b1 & 0x80) != 0;
        byte[] mask = new byte[4];
        if (masked) {
            in.readFully(mask);
        }
        byte[] payload = new byte[(int) len];
        in.readFully(payload);
        if (masked) {
            for (int i = 0; i < payload.length; i++) {
                payload[i] ^= mask[i % 4];
            }
        }
        return new Frame(b0 & 0x0f, payload, masked);
    }

    void send(int opcode, byte[] payload) throws IOException {
        byte[] mask = new byte[4];
        new SecureRandom().nextBytes(mask);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(0x80 | opcode);
        if (payload.length < 126) {
            out.write(0x80 | payload.length);
        } else {
            out.write(0x80 | 126);
            out.write(payload.length >>> 8);
            out.write(payload.length & 0xff);
        }
        out.write(mask);
        for (int i = 0; i < payload.length; i++) {
            out.write(payload[i] ^ mask[i % 4]);
        }
        client.send(out.toByteArray());
    }

    @Override
    public void close() throws IOException {
        client.close();
    }
}
