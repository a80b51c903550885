package io.isthmus.wstunnel;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A websocktunnel client written from websocktunnel.md alone (§2 handshake, §4 frames: type byte, uint32 LE
 * id, payload; RFC 6455 masked client frames), independent of the server's code. A reader thread collects
 * wsmux frames; pings are answered unless told not to, and counted.
 */
final class WsmuxTestClient implements AutoCloseable {

    static final int DAT = 0;
    static final int SYN = 1;
    static final int ACK = 2;
    static final int FIN = 3;

    /** One wsmux frame, or a WebSocket close (type -1, id = close code). */
    record Frame(int type, int id, byte[] payload) {
        String text() {
            return new String(payload, StandardCharsets.ISO_8859_1);
        }

        long ackValue() {
            return ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xFFFFFFFFL;
        }
    }

    final Socket socket;
    final String responseHead;
    private final OutputStream out;
    private final InputStream in;
    private final BlockingQueue<Frame> frames = new LinkedBlockingQueue<>();
    final AtomicInteger pings = new AtomicInteger();
    final AtomicInteger pongs = new AtomicInteger();
    volatile boolean answerPings = true;
    volatile boolean closedByServer;
    private final SecureRandom random = new SecureRandom();

    private WsmuxTestClient(Socket socket, String responseHead, InputStream in) throws IOException {
        this.socket = socket;
        this.responseHead = responseHead;
        this.out = socket.getOutputStream();
        this.in = in;
    }

    /** The registration request of §2 (GET on {@code path}); returns the client with the response head read. */
    static WsmuxTestClient register(InetSocketAddress server, String path, String id, String token) throws IOException {
        return connect(server, "GET " + path + " HTTP/1.1\r\nHost: " + server.getHostString() + ":" + server.getPort() + "\r\n"
                + "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nUser-Agent: Go-http-client/1.1\r\n"
                + (id == null ? "" : "x-websocktunnel-id: " + id + "\r\n")
                + (token == null ? "" : "Authorization: Bearer " + token + "\r\n") + "\r\n");
    }

    static WsmuxTestClient connect(InetSocketAddress server, String request) throws IOException {
        Socket s = new Socket();
        s.connect(server, 5000);
        s.setSoTimeout(60_000);
        s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
        InputStream in = s.getInputStream();
        String head = io.isthmus.core.testing.RawClient.readHeadFrom(in);
        WsmuxTestClient c = new WsmuxTestClient(s, head, in);
        if (head.startsWith("HTTP/1.1 101")) {
            Thread reader = new Thread(c::readLoop, "wsmux-test-client");
            reader.setDaemon(true);
            reader.start();
        }
        return c;
    }

    boolean upgraded() {
        return responseHead.startsWith("HTTP/1.1 101");
    }

    private void readLoop() {
        try {
            DataInputStream d = new DataInputStream(in);
            ByteArrayOutputStream message = null;
            while (true) {
                int b0 = d.readUnsignedByte();
                int b1 = d.readUnsignedByte();
                long len = b1 & 0x7f;
                if (len == 126) {
                    len = d.readUnsignedShort();
                } else if (len == 127) {
                    len = d.readLong();
                }
                if ((b1 & 0x80) != 0) {
                    throw new IOException("server frames must not be masked");
                }
                byte[] payload = new byte[(int) len];
                d.readFully(payload);
                int opcode = b0 & 0x0f;
                boolean fin = (b0 & 0x80) != 0;
                switch (opcode) {
                    case 0x9 -> {
                        pings.incrementAndGet();
                        if (answerPings) {
                            sendFrame(0xA, payload, true);
                        }
                    }
                    case 0xA -> pongs.incrementAndGet();
                    case 0x8 -> {
                        int code = payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
                        frames.add(new Frame(-1, code, payload));
                    }
                    case 0x1 -> frames.add(new Frame(-2, 0, payload));
                    case 0x2, 0x0 -> {
                        if (message == null) {
                            message = new ByteArrayOutputStream();
                        }
                        message.write(payload);
                        if (fin) {
                            byte[] m = message.toByteArray();
                            message = null;
                            ByteBuffer bb = ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN);
                            int type = bb.get() & 0xff;
                            int id = bb.getInt();
                            byte[] rest = new byte[m.length - 5];
                            bb.get(rest);
                            frames.add(new Frame(type, id, rest));
                        }
                    }
                    default -> throw new IOException("opcode " + opcode);
                }
            }
        } catch (IOException e) {
            closedByServer = true;
        }
    }

    /** The next wsmux frame within 10 s, or null. */
    Frame next() throws InterruptedException {
        return next(10_000);
    }

    Frame next(long millis) throws InterruptedException {
        return frames.poll(millis, TimeUnit.MILLISECONDS);
    }

    /** The next frame of {@code type}, skipping others (ACKs while waiting for data, say). */
    Frame nextOf(int type, int id) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            Frame f = frames.poll(100, TimeUnit.MILLISECONDS);
            if (f != null && f.type() == type && f.id() == id) {
                return f;
            }
        }
        return null;
    }

    /** Every DAT payload on {@code id} until its FIN, acknowledging as it reads. */
    byte[] readStream(int id) throws InterruptedException, IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            Frame f = frames.poll(100, TimeUnit.MILLISECONDS);
            if (f == null || f.id() != id) {
                continue;
            }
            if (f.type() == DAT) {
                all.write(f.payload());
                if (f.payload().length > 0) {
                    send(ACK, id, le(f.payload().length));
                }
            } else if (f.type() == FIN) {
                return all.toByteArray();
            }
        }
        throw new AssertionError("no FIN on stream " + id + " after " + all.size() + " bytes");
    }

    /** Reads DATs on {@code id} (acknowledging) until {@code marker} has been seen; returns what was read. */
    String readUntil(int id, String marker) throws InterruptedException, IOException {
        StringBuilder s = new StringBuilder();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline && !s.toString().contains(marker)) {
            Frame f = frames.poll(100, TimeUnit.MILLISECONDS);
            if (f != null && f.id() == id && f.type() == DAT) {
                s.append(f.text());
                send(ACK, id, le(f.payload().length));
            }
        }
        return s.toString();
    }

    /**
     * Waits for the gateway's next SYN, accepts it with {@code window} and reads the stream's request up to its
     * blank line (appended to {@code request} when given); returns the stream id.
     */
    int acceptStream(long window, StringBuilder request) throws InterruptedException, IOException {
        Frame syn;
        do {
            syn = next();
            if (syn == null) {
                throw new AssertionError("no SYN came");
            }
        } while (syn.type() != SYN);
        send(ACK, syn.id(), le(window));
        String head = readUntil(syn.id(), "\r\n\r\n");
        if (!head.contains("\r\n\r\n")) {
            throw new AssertionError("no whole request head on stream " + syn.id() + ": " + head);
        }
        if (request != null) {
            request.append(head);
        }
        return syn.id();
    }

    static byte[] le(long v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array();
    }

    static byte[] frame(int type, int id, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(5 + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) type).putInt(id).put(payload);
        return b.array();
    }

    /** One wsmux frame as one binary WebSocket message. */
    void send(int type, int id, byte[] payload) throws IOException {
        sendFrame(0x2, frame(type, id, payload), true);
    }

    void send(int type, int id) throws IOException {
        send(type, id, new byte[0]);
    }

    void sendText(int type, int id, String ascii) throws IOException {
        send(type, id, ascii.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** One wsmux frame as a fragmented message: continuation frames of at most {@code fragment} bytes. */
    void sendFragmented(int type, int id, byte[] payload, int fragment) throws IOException {
        byte[] m = frame(type, id, payload);
        for (int off = 0; off < m.length; off += fragment) {
            int n = Math.min(fragment, m.length - off);
            byte[] part = java.util.Arrays.copyOfRange(m, off, off + n);
            sendFrame(off == 0 ? 0x2 : 0x0, part, off + n == m.length);
        }
    }

    synchronized void sendFrame(int opcode, byte[] payload, boolean fin) throws IOException {
        byte[] mask = new byte[4];
        random.nextBytes(mask);
        ByteArrayOutputStream o = new ByteArrayOutputStream(payload.length + 14);
        o.write((fin ? 0x80 : 0) | opcode);
        if (payload.length < 126) {
            o.write(0x80 | payload.length);
        } else if (payload.length < 65536) {
            o.write(0x80 | 126);
            o.write(payload.length >>> 8);
            o.write(payload.length & 0xff);
        } else {
            o.write(0x80 | 127);
            o.write(ByteBuffer.allocate(8).putLong(payload.length).array());
        }
        o.write(mask);
        for (int i = 0; i < payload.length; i++) {
            o.write(payload[i] ^ mask[i & 3]);
        }
        out.write(o.toByteArray());
        out.flush();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
