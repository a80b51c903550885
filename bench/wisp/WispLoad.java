// A Wisp load client for bench/run.sh wisp (bench/lib/wisp.py): one WebSocket, N TCP streams, each to a loopback target of
// its own (run here too): "download" streams read what a source target writes as fast as it can, "upload"
// streams send 64 KiB DATA packets within their CONTINUE credit to a sink target. Prints MEASURING when
// the streams are open and the measured seconds start (bench/lib/common.py run_measured starts the
// server's CPU account there), then one JSON line {mode, streams, seconds, bytes, mib_s, opened_per_s}.
// Driven by bench/lib/wisp.py (bench/run.sh wisp).
//
// Mode "slow-upload": "upload" to sinks that each read at most SLOW_SINK_MIB_S with a 64 KiB receive buffer, so
// the server holds the DATA its targets have not taken yet (what a slow target costs per byte).
//
// Mode "open": STREAMS CONNECTs in flight to a target that writes one byte and closes; each CLOSE is
// answered with a new CONNECT (a new stream id); reports streams opened (and closed) per second.
//
// usage: java WispLoad.java ws://127.0.0.1:PORT/path/ download|upload|slow-upload|open STREAMS SECONDS
import java.io.*;
import java.net.*;
import java.nio.*;
import java.util.*;
import java.util.concurrent.*;
import java.util.concurrent.atomic.*;

public class WispLoad {
    static final int PACKET = 64 * 1024;
    static final long SLOW_SINK_MIB_S = 50;
    static final int SLOW_SINK_RCVBUF = 64 * 1024;

    public static void main(String[] args) throws Exception {
        URI uri = URI.create(args[0]);
        boolean download = args[1].equals("download");
        if (args[1].equals("open")) {
            openRate(uri, Integer.parseInt(args[2]), Integer.parseInt(args[3]));
            return;
        }
        int streams = Integer.parseInt(args[2]);
        int seconds = Integer.parseInt(args[3]);
        long sinkBytesPerSecond = args[1].equals("slow-upload") ? SLOW_SINK_MIB_S << 20 : 0;
        AtomicLong sunk = new AtomicLong();
        ServerSocket target = new ServerSocket();
        if (sinkBytesPerSecond > 0) {
            target.setReceiveBufferSize(SLOW_SINK_RCVBUF); // inherited by accepted sockets, set before bind
        }
        target.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 100);
        Thread acceptor = new Thread(() -> serve(target, download, sinkBytesPerSecond, sunk));
        acceptor.setDaemon(true);
        acceptor.start();

        Socket s = new Socket(uri.getHost(), uri.getPort());
        s.setTcpNoDelay(true);
        s.setReceiveBufferSize(4 << 20);
        s.setSendBufferSize(4 << 20);
        OutputStream out = new BufferedOutputStream(s.getOutputStream(), 1 << 20);
        DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream(), 1 << 20));
        out.write(("GET " + uri.getPath() + " HTTP/1.1\r\nHost: " + uri.getHost() + "\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes());
        out.flush();
        readHead(in);
        byte[] first = readFrame(in); // v1: CONTINUE(0, buffer), maybe behind a ping
        while (first == null) {
            first = readFrame(in);
        }
        int buffer = ByteBuffer.wrap(first, 5, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        long[] credit = new long[streams + 1];
        Object lock = new Object();
        for (int id = 1; id <= streams; id++) {
            credit[id] = buffer;
            ByteBuffer c = ByteBuffer.allocate(5 + 3 + 9).order(ByteOrder.LITTLE_ENDIAN);
            c.put((byte) 1).putInt(id).put((byte) 1).putShort((short) target.getLocalPort()).put("127.0.0.1".getBytes());
            writeFrame(out, c.array());
        }
        out.flush();
        AtomicLong received = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        Thread reader = new Thread(() -> {
            try {
                while (!stop.get()) {
                    byte[] f = readFrame(in);
                    if (f == null || f.length < 5) continue;
                    int type = f[0];
                    int id = ByteBuffer.wrap(f, 1, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
                    if (type == 2) {
                        received.addAndGet(f.length - 5);
                    } else if (type == 3 && id > 0 && id <= streams) {
                        synchronized (lock) {
                            credit[id] = Integer.toUnsignedLong(ByteBuffer.wrap(f, 5, 4).order(ByteOrder.LITTLE_ENDIAN).getInt());
                            lock.notifyAll();
                        }
                    } else if (type == 4) {
                        System.err.println("stream " + id + " closed 0x" + Integer.toHexString(f[5] & 0xff));
                    }
                }
            } catch (IOException e) {
                // Closed at the end.
            }
        });
        reader.setDaemon(true);
        reader.start();
        System.out.println("MEASURING");
        System.out.flush();
        long measureStart = System.nanoTime();
        long end = measureStart + seconds * 1_000_000_000L;
        long startBytes = download ? received.get() : sunk.get();
        if (download) {
            while (System.nanoTime() < end) {
                Thread.sleep(50);
            }
        } else {
            // Each stream's whole frame is built and masked once: the client then only writes bytes, so it
            // is not the bottleneck (the payload is zeros; the gateway unmasks it like any other).
            byte[][] frames = new byte[streams + 1][];
            byte[] mask = {0x11, 0x22, 0x33, 0x44};
            for (int id = 1; id <= streams; id++) {
                ByteBuffer p = ByteBuffer.allocate(5 + PACKET).order(ByteOrder.LITTLE_ENDIAN);
                p.put((byte) 2).putInt(id);
                ByteArrayOutputStream f = new ByteArrayOutputStream();
                writeFrame(f, p.array(), mask);
                frames[id] = f.toByteArray();
            }
            while (System.nanoTime() < end) {
                boolean sent = false;
                for (int id = 1; id <= streams; id++) {
                    boolean go;
                    synchronized (lock) {
                        go = credit[id] > 0;
                        if (go) credit[id]--;
                    }
                    if (go) {
                        out.write(frames[id]);
                        sent = true;
                    }
                }
                if (!sent) {
                    out.flush();
                    synchronized (lock) {
                        lock.wait(5);
                    }
                }
            }
            out.flush();
        }
        long bytes = (download ? received.get() : sunk.get()) - startBytes;
        double secs = (System.nanoTime() - measureStart) / 1e9;
        stop.set(true);
        System.out.printf(Locale.ROOT,
                "{\"mode\":\"%s\",\"streams\":%d,\"seconds\":%.3f,\"bytes\":%d,\"mib_s\":%.1f}%n",
                args[1], streams, secs, bytes, bytes / secs / (1 << 20));
        s.close();
        target.close();
        System.exit(0);
    }

    /** Streams opened per second: {@code inFlight} at a time, each to a target that writes a byte and closes. */
    static void openRate(URI uri, int inFlight, int seconds) throws Exception {
        ServerSocket target = new ServerSocket(0, 1000, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            while (!target.isClosed()) {
                try (Socket c = target.accept()) {
                    c.getOutputStream().write('x');
                } catch (IOException e) {
                    if (target.isClosed()) return;
                }
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
        Socket s = new Socket(uri.getHost(), uri.getPort());
        s.setTcpNoDelay(true);
        OutputStream out = new BufferedOutputStream(s.getOutputStream(), 1 << 16);
        DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream(), 1 << 16));
        out.write(("GET " + uri.getPath() + " HTTP/1.1\r\nHost: " + uri.getHost() + "\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes());
        out.flush();
        readHead(in);
        while (readFrame(in) == null) {
            // v1: CONTINUE(0, buffer) first, maybe behind a ping
        }
        int next = 1;
        for (; next <= inFlight; next++) {
            writeFrame(out, connect(next, target.getLocalPort()));
        }
        out.flush();
        long closed = 0, failed = 0, measured = 0;
        long warmEnd = System.nanoTime() + 1_000_000_000L;
        long start = 0, end = Long.MAX_VALUE;
        while (System.nanoTime() < end) {
            byte[] f = readFrame(in);
            if (f == null || f.length < 6 || f[0] != 4) continue;
            if (f[5] != 2) failed++;
            closed++;
            long now = System.nanoTime();
            if (start == 0 && now >= warmEnd) {
                start = now;
                end = now + seconds * 1_000_000_000L;
                measured = closed;
                System.out.println("MEASURING");
                System.out.flush();
            }
            writeFrame(out, connect(next++, target.getLocalPort()));
            out.flush();
        }
        double secs = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "{\"mode\":\"open\",\"streams\":%d,\"seconds\":%.3f,\"bytes\":0,\"opened\":%d,"
                + "\"failed\":%d,\"opened_per_s\":%.0f}%n", inFlight, secs, closed - measured, failed, (closed - measured) / secs);
        s.close();
        target.close();
        System.exit(0);
    }

    static byte[] connect(int id, int port) {
        ByteBuffer c = ByteBuffer.allocate(5 + 3 + 9).order(ByteOrder.LITTLE_ENDIAN);
        c.put((byte) 1).putInt(id).put((byte) 1).putShort((short) port).put("127.0.0.1".getBytes());
        return c.array();
    }

    /** Sources write as fast as they can; sinks read as fast as they can, or paced at {@code sinkBytesPerSecond}. */
    static void serve(ServerSocket target, boolean source, long sinkBytesPerSecond, AtomicLong sunk) {
        while (!target.isClosed()) {
            try {
                Socket c = target.accept();
                Thread t = new Thread(() -> {
                    byte[] buf = new byte[256 * 1024];
                    try (c) {
                        if (source) {
                            OutputStream o = c.getOutputStream();
                            while (true) o.write(buf);
                        }
                        InputStream i = c.getInputStream();
                        int n;
                        long start = System.nanoTime(), got = 0;
                        while ((n = i.read(buf)) > 0) {
                            sunk.addAndGet(n);
                            got += n;
                            if (sinkBytesPerSecond > 0) {
                                long ahead = start + got * 1_000_000_000L / sinkBytesPerSecond - System.nanoTime();
                                if (ahead > 0) java.util.concurrent.locks.LockSupport.parkNanos(ahead);
                            }
                        }
                    } catch (IOException e) {
                        // The stream ended.
                    }
                });
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    static void readHead(DataInputStream in) throws IOException {
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) throw new EOFException("no 101");
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        }
    }

    static byte[] readFrame(DataInputStream in) throws IOException {
        int b0 = in.readUnsignedByte();
        int b1 = in.readUnsignedByte();
        long len = b1 & 0x7f;
        if (len == 126) len = in.readUnsignedShort();
        else if (len == 127) len = in.readLong();
        byte[] p = new byte[(int) len];
        in.readFully(p);
        return (b0 & 0x0f) == 2 ? p : null;
    }

    static void writeFrame(OutputStream out, byte[] payload) throws IOException {
        writeFrame(out, payload, new byte[] {1, 2, 3, 4});
    }

    /** A masked binary frame; the payload array is masked in place and unmasked back (no copy). */
    static void writeFrame(OutputStream out, byte[] payload, byte[] mask) throws IOException {
        int n = payload.length;
        out.write(0x82);
        if (n < 126) {
            out.write(0x80 | n);
        } else if (n < 65536) {
            out.write(0x80 | 126);
            out.write(n >>> 8);
            out.write(n);
        } else {
            out.write(0x80 | 127);
            for (int i = 7; i >= 0; i--) out.write((int) ((long) n >>> (8 * i)));
        }
        out.write(mask);
        for (int i = 0; i < n; i++) payload[i] ^= mask[i & 3];
        out.write(payload);
        for (int i = 0; i < n; i++) payload[i] ^= mask[i & 3];
    }
}
