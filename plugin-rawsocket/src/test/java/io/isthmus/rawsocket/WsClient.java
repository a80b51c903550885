package io.isthmus.rawsocket;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A minimal blocking RFC 6455 client for tests: full control of the handshake headers and of every frame
 * (masked as a browser masks them), so tests can send what browsers send and what they never would.
 */
final class WsClient implements AutoCloseable {

    static final int CONTINUATION = 0, TEXT = 1, BINARY = 2, CLOSE = 8, PING = 9, PONG = 10;

    record Frame(int opcode, boolean fin, byte[] payload) {
        int closeCode() {
            return payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005;
        }

        String closeReason() {
            return payload.length > 2 ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8) : "";
        }
    }

    final Socket socket;
    final int status;
    final Map<String, String> headers;
    private final DataInputStream in;
    private final OutputStream out;

    private WsClient(Socket socket, int status, Map<String, String> headers) throws IOException {
        this.socket = socket;
        this.status = status;
        this.headers = headers;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** Opens a connection and sends an upgrade for {@code target}; {@code extra} headers are added as given. */
    static WsClient connect(InetSocketAddress gateway, String target, Map<String, String> extra) throws IOException {
        Socket s = new Socket();
        s.connect(gateway, 5000);
        s.setSoTimeout(10_000);
        s.setTcpNoDelay(true);
        StringBuilder req = new StringBuilder("GET ").append(target).append(" HTTP/1.1\r\n")
                .append("Host: ").append(gateway.getHostString()).append(':').append(gateway.getPort()).append("\r\n")
                .append("Upgrade: websocket\r\nConnection: Upgrade\r\n")
                .append("Sec-WebSocket-Key: ").append(Base64.getEncoder().encodeToString(new byte[16])).append("\r\n")
                .append("Sec-WebSocket-Version: 13\r\n");
        extra.forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
        s.getOutputStream().write(req.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
        InputStream raw = s.getInputStream();
        String head = readHead(raw);
        String[] lines = head.split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int c = lines[i].indexOf(':');
            if (c > 0) {
                headers.put(lines[i].substring(0, c).trim().toLowerCase(Locale.ROOT), lines[i].substring(c + 1).trim());
            }
        }
        return new WsClient(s, status, headers);
    }

    static WsClient connect(InetSocketAddress gateway, String target) throws IOException {
        return connect(gateway, target, Map.of());
    }

    static WsClient connectBinary(InetSocketAddress gateway, String target) throws IOException {
        return connect(gateway, target, Map.of("Sec-WebSocket-Protocol", "binary"));
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed in the response head: " + head);
            }
            head.write(b);
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    WsClient sendFrame(int opcode, boolean fin, byte[] payload) throws IOException {
        byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        int n = payload.length;
        ByteArrayOutputStream f = new ByteArrayOutputStream(n + 14);
        f.write((fin ? 0x80 : 0) | opcode);
        if (n < 126) {
            f.write(0x80 | n);
        } else if (n < 65536) {
            f.write(0x80 | 126);
            f.write(n >>> 8);
            f.write(n);
        } else {
            f.write(0x80 | 127);
            for (int i = 7; i >= 0; i--) {
                f.write((int) ((long) n >>> (8 * i)));
            }
        }
        f.write(mask);
        byte[] masked = new byte[n];
        for (int i = 0; i < n; i++) {
            masked[i] = (byte) (payload[i] ^ mask[i & 3]);
        }
        f.write(masked);
        synchronized (out) {
            f.writeTo(out);
            out.flush();
        }
        return this;
    }

    WsClient sendBinary(byte[] payload) throws IOException {
        return sendFrame(BINARY, true, payload);
    }

    WsClient sendText(String text) throws IOException {
        return sendFrame(TEXT, true, text.getBytes(StandardCharsets.UTF_8));
    }

    WsClient sendClose(int code, String reason) throws IOException {
        byte[] r = reason.getBytes(StandardCharsets.UTF_8);
        byte[] p = new byte[2 + r.length];
        p[0] = (byte) (code >>> 8);
        p[1] = (byte) code;
        System.arraycopy(r, 0, p, 2, r.length);
        return sendFrame(CLOSE, true, p);
    }

    Frame readFrame() throws IOException {
        int b0 = in.readUnsignedByte();
        int b1 = in.readUnsignedByte();
        if ((b1 & 0x80) != 0) {
            throw new IOException("server frames must not be masked");
        }
        long n = b1 & 0x7F;
        if (n == 126) {
            n = in.readUnsignedShort();
        } else if (n == 127) {
            n = in.readLong();
        }
        byte[] payload = new byte[(int) n];
        in.readFully(payload);
        return new Frame(b0 & 0x0F, (b0 & 0x80) != 0, payload);
    }

    /** The next data frame or Close, answering pings on the way. */
    Frame readDataOrClose() throws IOException {
        while (true) {
            Frame f = readFrame();
            if (f.opcode() == PING) {
                sendFrame(PONG, true, f.payload());
                continue;
            }
            if (f.opcode() != PONG) {
                return f;
            }
        }
    }

    /** Reads binary payload until {@code n} bytes have come; fails on a Close first. */
    byte[] readBytes(int n) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream(n);
        while (all.size() < n) {
            Frame f = readDataOrClose();
            if (f.opcode() == CLOSE) {
                throw new EOFException("Close " + f.closeCode() + " '" + f.closeReason() + "' after " + all.size() + " of " + n + " bytes");
            }
            all.write(f.payload());
        }
        return all.toByteArray();
    }

    /** Whether the server ended the TCP connection within {@code millis} (reads and drops data meanwhile). */
    boolean closedWithin(int millis) throws IOException {
        socket.setSoTimeout(millis);
        try {
            while (in.read() >= 0) {
                // drain
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    OutputStream rawOut() {
        return out;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
