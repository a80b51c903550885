package io.isthmus.rawsocket.wisp;

import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.WsFrames;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * A Wisp client written from the spec's bytes (bare-and-wisp.md §B.2, §D): a raw RFC 6455 client (masked
 * frames, read frame by frame) and builders of Wisp packets as plain byte arrays, so tests compare what
 * the gateway sends byte for byte.
 */
final class WispWire implements AutoCloseable {

    static final int TEXT = WsFrames.TEXT;
    static final int BINARY = WsFrames.BINARY;
    static final int CLOSE = WsFrames.CLOSE;
    static final int PING = WsFrames.PING;
    static final int PONG = WsFrames.PONG;

    record Frame(int opcode, byte[] payload) {
        String hex() {
            return HexFormat.of().formatHex(payload);
        }

        int type() {
            return payload[0] & 0xff;
        }

        int streamId() {
            return ByteBuffer.wrap(payload, 1, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        }

        byte[] body() {
            byte[] b = new byte[payload.length - 5];
            System.arraycopy(payload, 5, b, 0, b.length);
            return b;
        }
    }

    final RawClient client;
    final String responseHead;
    private final DataInputStream in;

    private WispWire(RawClient client, String responseHead) {
        this.client = client;
        this.responseHead = responseHead;
        this.in = new DataInputStream(client.in());
    }

    /** Opens {@code path}; {@code extraHeaders} each end in CRLF (e.g. a Sec-WebSocket-Protocol). */
    static WispWire open(InetSocketAddress gateway, String path, String extraHeaders) throws IOException {
        RawClient c = new RawClient(gateway, 10_000);
        c.socket().setTcpNoDelay(true);
        c.send(WsFrames.upgradeRequest(path, "127.0.0.1", extraHeaders));
        return new WispWire(c, c.readHead());
    }

    /** A v1 session: no subprotocol; reads and checks the first CONTINUE(0, 128). */
    static WispWire v1(InetSocketAddress gateway) throws IOException {
        WispWire w = open(gateway, "/sockets/wisp/", "");
        Frame first = w.read();
        if (!first.hex().equals("030000000080000000")) {
            throw new AssertionError("expected CONTINUE(0,128), got " + first.hex());
        }
        return w;
    }

    /** A v2 session: server INFO, our INFO with {@code clientExtensions} (hex), then CONTINUE(0, 128). */
    static WispWire v2(InetSocketAddress gateway, String clientExtensions) throws IOException {
        WispWire w = open(gateway, "/sockets/wisp/", "Sec-WebSocket-Protocol: wisp-v2\r\n");
        Frame info = w.read();
        if (info.type() != 0x05) {
            throw new AssertionError("expected INFO, got " + info.hex());
        }
        w.send(hex("05 00000000 02 00" + clientExtensions));
        Frame cont = w.read();
        if (!cont.hex().equals("030000000080000000")) {
            throw new AssertionError("expected CONTINUE(0,128), got " + cont.hex());
        }
        return w;
    }

    static byte[] hex(String spaced) {
        return HexFormat.of().parseHex(spaced.replace(" ", ""));
    }

    static String le32(long v) {
        return HexFormat.of().formatHex(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
    }

    static String le16(int v) {
        return HexFormat.of().formatHex(ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort((short) v).array());
    }

    static String ascii(String s) {
        return HexFormat.of().formatHex(s.getBytes(StandardCharsets.UTF_8));
    }

    /** {@code CONNECT(id, type, port, host)}. */
    static byte[] connect(int id, int type, int port, String host) {
        return hex("01" + le32(id) + String.format("%02x", type) + le16(port) + ascii(host));
    }

    /** {@code DATA(id, bytes)}. */
    static byte[] data(int id, byte[] body) {
        byte[] p = new byte[5 + body.length];
        p[0] = 0x02;
        ByteBuffer.wrap(p, 1, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(id);
        System.arraycopy(body, 0, p, 5, body.length);
        return p;
    }

    static byte[] close(int id, int reason) {
        return hex("04" + le32(id) + String.format("%02x", reason));
    }

    void send(byte[] payload) throws IOException {
        sendFrame(BINARY, payload);
    }

    /** Several binary messages in one write (so the gateway reads them in one batch). */
    void sendBatch(java.util.List<byte[]> payloads) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] p : payloads) {
            all.writeBytes(frame(BINARY, p));
        }
        client.send(all.toByteArray());
    }

    void sendFrame(int opcode, byte[] payload) throws IOException {
        client.send(frame(opcode, payload));
    }

    private static byte[] frame(int opcode, byte[] payload) {
        return WsFrames.frame(opcode, payload, true);
    }

    /** The next frame that is not a ping (pings are answered). */
    Frame read() throws IOException {
        for (int i = 0; i < 1000; i++) {
            Frame f = readFrame();
            if (f.opcode() == PING) {
                sendFrame(PONG, f.payload());
                continue;
            }
            return f;
        }
        throw new AssertionError("only pings");
    }

    /** The next frame, or null if none comes within {@code millis}. */
    Frame readWithin(int millis) throws IOException {
        int old = client.socket().getSoTimeout();
        client.socket().setSoTimeout(millis);
        try {
            return read();
        } catch (SocketTimeoutException e) {
            return null;
        } finally {
            client.socket().setSoTimeout(old);
        }
    }

    private Frame readFrame() throws IOException {
        WsFrames.Frame f = WsFrames.read(in);
        if (f.masked()) {
            throw new AssertionError("server frames must not be masked");
        }
        return new Frame(f.opcode(), f.payload());
    }

    @Override
    public void close() throws IOException {
        client.close();
    }
}
