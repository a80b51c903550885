package io.isthmus.distribution.edge;

import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.WsFrames;
import io.isthmus.core.testing.WsFrames.Frame;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A blocking WebSocket client over a plain socket, written for the edge tests: it can behave (masked
 * frames, pings answered while reading) or misbehave (oversized or endless fragmented frames, never
 * answering a ping, a reset). One thread uses it at a time.
 */
final class Ws implements AutoCloseable {

    static final int CONT = WsFrames.CONT;
    static final int TEXT = WsFrames.TEXT;
    static final int BINARY = WsFrames.BINARY;
    static final int CLOSE = WsFrames.CLOSE;
    static final int PING = WsFrames.PING;
    static final int PONG = WsFrames.PONG;

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
            String head = WsFrames.upgradeRequest(path, "127.0.0.1:" + gateway.getPort(), extraHeaders);
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
        out.write(WsFrames.frame(opcode, fin, payload, off, len, true));
        out.flush();
    }

    /** Only the header of a masked frame announcing {@code len} bytes (the payload never follows). */
    void sendHeaderOnly(int opcode, long len) throws IOException {
        out.write(WsFrames.header(opcode, true, true, len));
        out.write(new byte[4]);
        out.flush();
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
        return WsFrames.read(in);
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
