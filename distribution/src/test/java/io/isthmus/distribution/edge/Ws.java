package io.isthmus.distribution.edge;

import io.isthmus.core.testing.RawClient;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A blocking WebSocket client over a plain socket, written for the edge tests: it can behave (masked
 * frames, pings answered while reading) or misbehave (oversized or endless fragmented frames, never
 * answering a ping, a reset). One thread uses it at a time.
 */
final class Ws implements AutoCloseable {

    static final int CONT = 0;
    static final int TEXT = 1;
    static final int BINARY = 2;
    static final int CLOSE = 8;
    static final int PING = 9;
    static final int PONG = 10;

    /** One frame as read; {@code fin} false for a fragment. */
    record Frame(int opcode, boolean fin, byte[] payload) {
        String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        /** The close code of a close frame, or -1. */
        int closeCode() {
            return opcode == CLOSE && payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : -1;
        }
    }

    final Socket socket;
    final String responseHead;
    private final DataInputStream in;
    private final OutputStream out;
    /** Answer pings while reading (a live peer); false plays a dead one. */
    boolean answerPings = true;
    int pingsSeen;

    private Ws(Socket socket, String responseHead) throws IOException {
        this.socket = socket;
        this.responseHead = responseHead;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** Upgrades {@code path}; {@code extraHeaders} are whole lines ending in CRLF. */
    static Ws open(InetSocketAddress gateway, String path, String extraHeaders) throws IOException {
        return open(gateway, null, path, extraHeaders, 15_000);
    }

    /** From {@code localAddress} (a 127.x address standing for another client), or any when null. */
    static Ws open(InetSocketAddress gateway, InetSocketAddress localAddress, String path, String extraHeaders,
                   int readTimeoutMillis) throws IOException {
        Socket s = new Socket();
        try {
            if (localAddress != null) {
                s.bind(localAddress);
            }
            s.connect(gateway, 5_000);
            s.setSoTimeout(readTimeoutMillis);
            s.setTcpNoDelay(true);
            byte[] key = new byte[16];
            ThreadLocalRandom.current().nextBytes(key);
            String head = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + gateway.getPort() + "\r\n"
                    + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key) + "\r\n"
                    + extraHeaders + "\r\n";
            s.getOutputStream().write(head.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            return new Ws(s, RawClient.readHeadFrom(s.getInputStream()));
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    boolean upgraded() {
        return responseHead.startsWith("HTTP/1.1 101 ");
    }

    void send(int opcode, byte[] payload) throws IOException {
        sendFrame(opcode, true, payload, 0, payload.length);
    }

    void sendText(String s) throws IOException {
        send(TEXT, s.getBytes(StandardCharsets.UTF_8));
    }

    /** One masked frame. */
    synchronized void sendFrame(int opcode, boolean fin, byte[] payload, int off, int len) throws IOException {
        out.write(header(opcode, fin, len));
        byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        out.write(mask);
        byte[] masked = new byte[len];
        for (int i = 0; i < len; i++) {
            masked[i] = (byte) (payload[off + i] ^ mask[i & 3]);
        }
        out.write(masked);
        out.flush();
    }

    /** Only the header of a masked frame announcing {@code len} bytes (the payload never follows). */
    void sendHeaderOnly(int opcode, long len) throws IOException {
        out.write(header(opcode, true, len));
        out.write(new byte[4]);
        out.flush();
    }

    private static byte[] header(int opcode, boolean fin, long len) {
        ByteArrayOutputStream h = new ByteArrayOutputStream(14);
        h.write((fin ? 0x80 : 0) | opcode);
        if (len < 126) {
            h.write(0x80 | (int) len);
        } else if (len <= 0xffff) {
            h.write(0x80 | 126);
            h.write((int) (len >>> 8));
            h.write((int) len);
        } else {
            h.write(0x80 | 127);
            for (int i = 7; i >= 0; i--) {
                h.write((int) (len >>> (8 * i)));
            }
        }
        return h.toByteArray();
    }

    /** The next frame that is not a ping (pings are answered, or only counted when playing dead). */
    Frame read() throws IOException {
        for (int i = 0; i < 1_000_000; i++) {
            Frame f = readAny();
            if (f.opcode() == PING) {
                pingsSeen++;
                if (answerPings) {
                    send(PONG, f.payload());
                }
                continue;
            }
            if (f.opcode() == PONG) {
                continue;
            }
            return f;
        }
        throw new IOException("no data frame among a million control frames");
    }

    /** The next frame of any kind. */
    Frame readAny() throws IOException {
        int b0 = in.read();
        if (b0 < 0) {
            throw new EOFException("closed by the gateway");
        }
        int b1 = in.readUnsignedByte();
        long len = b1 & 0x7f;
        if (len == 126) {
            len = in.readUnsignedShort();
        } else if (len == 127) {
            len = in.readLong();
        }
        if (len > 64 << 20) {
            throw new IOException("frame of " + len + " bytes");
        }
        byte[] mask = null;
        if ((b1 & 0x80) != 0) {
            mask = new byte[4];
            in.readFully(mask);
        }
        byte[] payload = new byte[(int) len];
        in.readFully(payload);
        if (mask != null) {
            for (int i = 0; i < payload.length; i++) {
                payload[i] ^= mask[i & 3];
            }
        }
        return new Frame(b0 & 0x0f, (b0 & 0x80) != 0, payload);
    }

    /** Reads until the gateway ends the connection; returns the close frame's code, or -1 if none came. */
    int awaitClose() throws IOException {
        int code = -1;
        try {
            for (int i = 0; i < 1_000_000; i++) {
                Frame f = readAny();
                if (f.opcode() == CLOSE) {
                    code = f.closeCode();
                } else if (f.opcode() == PING) {
                    pingsSeen++;
                    if (answerPings) {
                        send(PONG, f.payload());
                    }
                }
            }
        } catch (EOFException | java.net.SocketException e) {
            return code;
        }
        return code;
    }

    /** Ends with a close frame of our own, then the socket. */
    void closeNormally() throws IOException {
        try {
            send(CLOSE, new byte[] {0x03, (byte) 0xe8});
        } catch (IOException ignored) {
            // the gateway may have gone first
        }
        socket.close();
    }

    /** An abrupt end: RST instead of FIN. */
    void reset() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
