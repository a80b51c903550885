package io.isthmus.distribution.edge;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.RawClient;
import io.isthmus.remoted.sdk.RemotedClient;
import io.isthmus.remoted.sdk.RemotedServerSocket;
import io.isthmus.remoted.sdk.RemotedSocket;
import io.isthmus.webroute.client.WebRouteConnection;
import io.isthmus.wstunnel.client.TokenSource;
import io.isthmus.wstunnel.client.WstClient;
import io.isthmus.core.config.ConfigLoader;
import io.isthmus.core.ValidatedConfig;
import io.isthmus.core.metrics.GatewayMetrics;
import io.isthmus.core.splice.SpliceEngine;
import io.isthmus.core.testing.WsFrames;
import io.isthmus.core.testing.HandJwt;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Legitimate clients of all five protocols against one gateway, one complete link per call: the payload
 * goes out, comes back (or across) and is compared by SHA-256. A {@link Mode} adds the rough edges of a
 * soak: slow readers, half-closes, peers that reset mid-stream (whose payload is not "completed" and is not
 * checked, but whose partner must be let go). A mismatch or a link that fails to complete throws.
 */
final class Links implements AutoCloseable {

    enum Protocol { WEBROUTE, REMOTED, BARE_HTTP, BARE_WS, WSTUNNEL, WEBSOCKIFY, WISP }

    enum Mode { NORMAL, SLOW_READER, HALF_CLOSE, RESET }

    /** What one link came to: whether its payload completed (and was verified) and how many bytes moved. */
    record Outcome(boolean completed, long bytes) {
    }

    static final String SERVER_KEY = "s3rverKeyForTheEdgeTestsOnly000000000000000";
    static final String CLIENT_KEY = "c1ientKeyForTheEdgeTestsOnly000000000000000";
    static final String WST_SECRET = "edge-secret-0123456789-0123456789-0123456789";
    static final String WST_ID = "edge";

    /** Gateway config: every plugin on, egress widened to loopback, keys and secrets of these clients. */
    static String config(Services services, String extra) {
        return """
                isthmus.egress.allow-cidrs = ["127.0.0.0/8"]
                isthmus.plugins.remoted { server-keys = ["%s"], client-keys = ["%s"] }
                isthmus.plugins.wstunnel.secrets = ["%s"]
                isthmus.plugins.rawsocket {
                  demo.services = false
                  websockify { target = "127.0.0.1:%d", tokens = false }
                  max-connections-per-ip = 2000
                  wisp { max-websockets-per-ip = 2000, egress.allow-cidrs = ["127.0.0.0/8"] }
                }
                isthmus.plugins.bare.egress.allow-cidrs = ["127.0.0.0/8"]
                # Half-closed WebRoute links go on in the other direction (the default closes the pair).
                isthmus.plugins.webroute.half-close = true
                """.formatted(SERVER_KEY, CLIENT_KEY, WST_SECRET, services.echoPort()) + extra;
    }

    private final Gateway gateway;
    private final Services services;
    private final InetSocketAddress address;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "edge-link");
        t.setDaemon(true);
        return t;
    });
    private final HttpClient http;
    private final RemotedServerSocket remotedServer;
    private final String remotedPath = "/edge/service/";
    private final WstClient wst;
    private final AtomicLong ids = new AtomicLong();

    Links(Gateway gateway, Services services) throws IOException, InterruptedException {
        this.gateway = gateway;
        this.services = services;
        this.address = gateway.address();
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(pool)
                .connectTimeout(Duration.ofSeconds(5)).build();
        String host = "127.0.0.1:" + address.getPort();
        remotedServer = RemotedServerSocket.open("rws://" + SERVER_KEY + "@" + host + remotedPath);
        if (!remotedServer.awaitRegistered(Duration.ofSeconds(10))) {
            throw new IOException("the Remoted server did not register");
        }
        pool.execute(this::serveRemoted);
        SpliceEngine clientSplices = new SpliceEngine(ValidatedConfig.of(ConfigLoader.loadString("")).core().splice(),
                new GatewayMetrics("edge-wst-client"), false);
        wst = new WstClient("http://" + host + "/wst", WST_ID, services.httpPort(), TokenSource.fixed(wstToken(WST_ID)),
                null, line -> { }, clientSplices, Duration.ofSeconds(20));
        pool.execute(() -> {
            try {
                wst.run();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!wst.connected() && System.nanoTime() < end) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        if (!wst.connected()) {
            throw new IOException("the websocktunnel client did not connect");
        }
    }

    static String wstToken(String id) {
        long now = System.currentTimeMillis() / 1000;
        return HandJwt.hs256(WST_SECRET, "{\"tid\":\"" + id + "\",\"exp\":" + (now + 3600) + ",\"nbf\":" + (now - 60) + "}");
    }

    /** The Remoted server's side: every accepted link echoes until its client ends, then ends too. */
    private void serveRemoted() {
        for (int i = 0; i < 10_000_000; i++) {
            RemotedSocket s;
            try {
                s = remotedServer.accept();
            } catch (IOException | InterruptedException e) {
                return;
            }
            pool.execute(() -> {
                try (s) {
                    s.socket().setSoTimeout(30_000);
                    Services.echoUntilEof(s.getInputStream(), s.getOutputStream());
                    s.shutdownOutput();
                } catch (IOException ignored) {
                    // its client reset mid-stream
                }
            });
        }
    }

    static byte[] payload(int size, long seed) {
        byte[] b = new byte[size];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < size; i += 8) {
            long v = r.nextLong();
            for (int k = 0; k < 8 && i + k < size; k++) {
                b[i + k] = (byte) (v >>> (8 * k));
            }
        }
        return b;
    }

    static byte[] sha(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static void verify(String what, byte[] sent, byte[] got) throws IOException {
        if (!Arrays.equals(sha(sent), sha(got))) {
            throw new IOException(what + ": checksum mismatch (" + sent.length + " bytes sent, " + got.length + " got)");
        }
    }

    /** One link of {@code protocol} carrying {@code size} random bytes each way. */
    Outcome run(Protocol protocol, Mode mode, int size, long seed) throws Exception {
        return switch (protocol) {
            case WEBROUTE -> webRoute(mode, size, seed);
            case REMOTED -> remoted(mode, size, seed);
            case BARE_HTTP -> bareHttp(mode, size, seed);
            case BARE_WS -> bareWebSocket(mode, size, seed);
            case WSTUNNEL -> wstViewer(mode, size, seed);
            case WEBSOCKIFY -> websockify(mode, size, seed);
            case WISP -> wisp(mode, size, seed);
        };
    }

    // ---- byte streams: WebRoute and Remoted ----

    private Outcome webRoute(Mode mode, int size, long seed) throws Exception {
        String id = "edge-" + ids.incrementAndGet() + "-" + seed;
        try (RawClient a = new RawClient(address, 30_000); RawClient b = new RawClient(address, 30_000)) {
            a.send(webRouteHead(id));
            b.send(webRouteHead(id));
            expect101("webroute a", a.readHead());
            expect101("webroute b", b.readHead());
            return stream("webroute", a.out(), a.in(), a::shutdownOutput, a::reset, b.in(), b.out(), b::shutdownOutput,
                    mode, size, seed);
        }
    }

    static String webRouteHead(String id) {
        return "GET /edge HTTP/1.1\r\nHost: gateway\r\nConnection: Upgrade\r\nUpgrade: webroute\r\n"
                + "WebRoute-Version: 1\r\nWebRoute-ID: " + id + "\r\n\r\n";
    }

    private Outcome remoted(Mode mode, int size, long seed) throws Exception {
        WebRouteConnection c = RemotedClient.connect("rwr://" + CLIENT_KEY + "@127.0.0.1:" + address.getPort()
                + remotedPath, null);
        try {
            c.socket().setSoTimeout(30_000);
            return echoStream("remoted", c.output(), c.input(), c::shutdownOutput, () -> {
                c.socket().setSoLinger(true, 0);
                c.close();
            }, mode, size, seed);
        } finally {
            c.close();
        }
    }

    private interface Io {
        void run() throws IOException;
    }

    /**
     * a → b and b → a, each {@code size} bytes, both directions at once. HALF_CLOSE: a half-closes after
     * sending and b reads to the end before answering; RESET: a resets halfway.
     */
    private Outcome stream(String what, OutputStream aOut, InputStream aIn, Io aShut, Io aReset,
                           InputStream bIn, OutputStream bOut, Io bShut, Mode mode, int size, long seed) throws Exception {
        byte[] up = payload(size, seed);
        byte[] down = payload(size, seed + 1);
        if (mode == Mode.RESET) {
            aOut.write(up, 0, size / 2);
            aOut.flush();
            aReset.run();
            drainUntilEnd(bIn);
            return new Outcome(false, size / 2);
        }
        CompletableFuture<Void> aSends = CompletableFuture.runAsync(() -> write(aOut, up, mode == Mode.HALF_CLOSE ? aShut : null), pool);
        if (mode == Mode.HALF_CLOSE) {
            byte[] got = readAll(bIn, size, false, true);
            verify(what + " a->b", up, got);
            write(bOut, down, bShut);
            verify(what + " b->a", down, readAll(aIn, size, false, true));
        } else {
            CompletableFuture<Void> bSends = CompletableFuture.runAsync(() -> write(bOut, down, null), pool);
            CompletableFuture<byte[]> atB = CompletableFuture.supplyAsync(() -> readAllUnchecked(bIn, size, mode == Mode.SLOW_READER), pool);
            verify(what + " b->a", down, readAll(aIn, size, false, false));
            verify(what + " a->b", up, atB.get(60, TimeUnit.SECONDS));
            bSends.get(60, TimeUnit.SECONDS);
        }
        aSends.get(60, TimeUnit.SECONDS);
        return new Outcome(true, 2L * size);
    }

    /** Our bytes go to an echo and come back: a writer and a reader at once. */
    private Outcome echoStream(String what, OutputStream out, InputStream in, Io shut, Io reset, Mode mode, int size,
                               long seed) throws Exception {
        byte[] up = payload(size, seed);
        if (mode == Mode.RESET) {
            out.write(up, 0, size / 2);
            out.flush();
            reset.run();
            return new Outcome(false, size / 2);
        }
        CompletableFuture<Void> sends = CompletableFuture.runAsync(() -> write(out, up, mode == Mode.HALF_CLOSE ? shut : null), pool);
        byte[] got = readAll(in, size, mode == Mode.SLOW_READER, mode == Mode.HALF_CLOSE);
        sends.get(60, TimeUnit.SECONDS);
        verify(what, up, got);
        return new Outcome(true, 2L * size);
    }

    private static void write(OutputStream out, byte[] data, Io then) {
        try {
            for (int off = 0; off < data.length; off += 64 * 1024) {
                out.write(data, off, Math.min(64 * 1024, data.length - off));
            }
            out.flush();
            if (then != null) {
                then.run();
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static byte[] readAllUnchecked(InputStream in, int size, boolean slow) {
        try {
            return readAll(in, size, slow, false);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Reads {@code size} bytes ({@code toEof}: then the end of input as well); a slow reader takes 8 KiB
     * at a time with a pause, so the gateway must hold its side back rather than buffer.
     */
    static byte[] readAll(InputStream in, int size, boolean slow, boolean toEof) throws IOException {
        InputStream src = slow ? new SlowInput(in) : in;
        byte[] got = src.readNBytes(size);
        if (got.length < size) {
            throw new EOFException("ended after " + got.length + " of " + size + " bytes");
        }
        if (toEof && src.read() >= 0) {
            throw new IOException("more than " + size + " bytes");
        }
        return got;
    }

    /** Reads until the gateway lets this side go (end of input or a reset), as it must after a reset partner. */
    private static void drainUntilEnd(InputStream in) throws IOException {
        byte[] buf = new byte[64 * 1024];
        try {
            for (int i = 0; i < 1_000_000; i++) {
                if (in.read(buf) < 0) {
                    return;
                }
            }
        } catch (java.net.SocketException e) {
            return; // reset passed on
        }
        throw new IOException("no end after a million reads");
    }

    /** A reader that takes at most 8 KiB per read and pauses 2 ms after each (about 4 MB/s at most). */
    private static final class SlowInput extends FilterInputStream {
        SlowInput(InputStream in) {
            super(in);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
            return super.read(b, off, Math.min(len, 8 * 1024));
        }
    }

    private static void expect101(String what, String head) throws IOException {
        if (!head.startsWith("HTTP/1.1 101 ")) {
            throw new IOException(what + ": " + head.lines().findFirst().orElse("no head"));
        }
    }

    // ---- HTTP: Bare and websocktunnel viewers ----

    private Outcome bareHttp(Mode mode, int size, long seed) throws Exception {
        String url = "http://127.0.0.1:" + services.httpPort() + "/echo";
        if (mode == Mode.RESET) {
            return resetRequest("/bare/v3/", "X-Bare-URL: " + url + "\r\nX-Bare-Headers: {}\r\n", size);
        }
        byte[] body = payload(size, seed);
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + address.getPort() + "/bare/v3/"))
                .timeout(Duration.ofSeconds(30))
                .header("X-Bare-URL", url).header("X-Bare-Headers", "{}")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        HttpResponse<byte[]> res = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
        if (res.statusCode() != 200) {
            throw new IOException("bare: status " + res.statusCode() + " " + new String(res.body(), StandardCharsets.UTF_8));
        }
        verify("bare http", body, res.body());
        return new Outcome(true, 2L * size);
    }

    private Outcome wstViewer(Mode mode, int size, long seed) throws Exception {
        if (mode == Mode.RESET) {
            return resetRequest("/wst/" + WST_ID + "/echo", "", size);
        }
        byte[] body = payload(size, seed);
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + address.getPort() + "/wst/" + WST_ID + "/echo"))
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        HttpResponse<byte[]> res = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
        if (res.statusCode() != 200) {
            throw new IOException("wst viewer: status " + res.statusCode());
        }
        verify("wst viewer", body, res.body());
        return new Outcome(true, 2L * size);
    }

    /** A request whose client resets halfway through its body. */
    private Outcome resetRequest(String path, String headers, int size) throws IOException {
        try (RawClient c = new RawClient(address, 10_000)) {
            c.send("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + "Content-Length: " + size + "\r\n\r\n");
            c.send(new byte[size / 2]);
            c.reset();
        }
        return new Outcome(false, size / 2);
    }

    // ---- WebSockets: websockify, Bare v3, Wisp ----

    private Outcome websockify(Mode mode, int size, long seed) throws Exception {
        try (Ws ws = Ws.open(address, "/sockets/websockify", "Sec-WebSocket-Protocol: binary\r\n")) {
            expect101("websockify", ws.responseHead);
            return messages("websockify", ws, mode, size, seed);
        }
    }

    private Outcome bareWebSocket(Mode mode, int size, long seed) throws Exception {
        try (Ws ws = Ws.open(address, "/bare/v3/", "")) {
            expect101("bare ws", ws.responseHead);
            ws.sendText("{\"type\":\"connect\",\"remote\":\"ws://127.0.0.1:" + address.getPort()
                    + "/sockets/websockify\",\"protocols\":[\"binary\"],\"headers\":{},\"forwardHeaders\":[]}");
            WsFrames.Frame open = ws.read();
            if (open.opcode() != Ws.TEXT || !open.text().contains("\"open\"")) {
                throw new IOException("bare ws: no open message but opcode " + open.opcode() + " " + open.text());
            }
            return messages("bare ws", ws, mode, size, seed);
        }
    }

    /** Binary messages of up to 60 KiB out, the echo's messages back until {@code size} bytes came. */
    private Outcome messages(String what, Ws ws, Mode mode, int size, long seed) throws Exception {
        byte[] up = payload(size, seed);
        if (mode == Mode.RESET) {
            ws.sendFrame(Ws.BINARY, true, up, 0, size / 2);
            ws.reset();
            return new Outcome(false, size / 2);
        }
        CompletableFuture<Void> sends = CompletableFuture.runAsync(() -> {
            try {
                for (int off = 0; off < size; off += 60 * 1024) {
                    ws.sendFrame(Ws.BINARY, true, up, off, Math.min(60 * 1024, size - off));
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, pool);
        ByteArrayOutputStream got = new ByteArrayOutputStream(size);
        for (int i = 0; got.size() < size && i < 1_000_000; i++) {
            if (mode == Mode.SLOW_READER) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
            }
            WsFrames.Frame f = ws.read();
            if (f.opcode() != Ws.BINARY && f.opcode() != Ws.CONT) {
                throw new IOException(what + ": opcode " + f.opcode() + " (close " + f.closeCode() + ") after "
                        + got.size() + " of " + size + " bytes");
            }
            got.write(f.payload());
        }
        sends.get(60, TimeUnit.SECONDS);
        verify(what, up, got.toByteArray());
        ws.closeNormally();
        return new Outcome(true, 2L * size);
    }

    private Outcome wisp(Mode mode, int size, long seed) throws Exception {
        int streams = 1 + (int) (seed & 1);
        try (Ws ws = Ws.open(address, "/sockets/wisp/", "")) {
            expect101("wisp", ws.responseHead);
            WsFrames.Frame first = ws.read();
            if (first.payload().length < 5 || first.payload()[0] != 0x03) {
                throw new IOException("wisp: no CONTINUE first");
            }
            int packetsAllowed = ByteBuffer.wrap(first.payload(), 5, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
            int chunk = Math.max(16 * 1024, (size + packetsAllowed - 2) / Math.max(1, packetsAllowed - 1));
            byte[][] up = new byte[streams][];
            for (int s = 0; s < streams; s++) {
                up[s] = payload(size, seed + s);
                ws.send(Ws.BINARY, wispPacket(0x01, s + 1, connectPayload(services.echoPort())));
            }
            if (mode == Mode.RESET) {
                ws.send(Ws.BINARY, wispPacket(0x02, 1, Arrays.copyOf(up[0], Math.min(chunk, size / 2))));
                ws.reset();
                return new Outcome(false, size / 2);
            }
            CompletableFuture<Void> sends = CompletableFuture.runAsync(() -> {
                try {
                    for (int off = 0; off < size; off += chunk) {
                        for (int s = 0; s < streams; s++) {
                            ws.send(Ws.BINARY, wispPacket(0x02, s + 1, Arrays.copyOfRange(up[s], off, Math.min(size, off + chunk))));
                        }
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, pool);
            ByteArrayOutputStream[] got = new ByteArrayOutputStream[streams];
            for (int s = 0; s < streams; s++) {
                got[s] = new ByteArrayOutputStream(size);
            }
            long want = (long) size * streams;
            long have = 0;
            for (int i = 0; have < want && i < 1_000_000; i++) {
                if (mode == Mode.SLOW_READER) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
                }
                WsFrames.Frame f = ws.read();
                byte[] p = f.payload();
                if (f.opcode() != Ws.BINARY || p.length < 5) {
                    throw new IOException("wisp: opcode " + f.opcode() + " close " + f.closeCode());
                }
                int id = ByteBuffer.wrap(p, 1, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
                if (p[0] == 0x02 && id >= 1 && id <= streams) {
                    got[id - 1].write(p, 5, p.length - 5);
                    have += p.length - 5;
                } else if (p[0] == 0x04) {
                    throw new IOException("wisp: stream " + id + " closed with reason " + (p.length > 5 ? p[5] : -1)
                            + " after " + have + " of " + want + " bytes");
                }
            }
            sends.get(60, TimeUnit.SECONDS);
            for (int s = 0; s < streams; s++) {
                verify("wisp stream " + (s + 1), up[s], got[s].toByteArray());
                ws.send(Ws.BINARY, wispPacket(0x04, s + 1, new byte[] {0x02}));
            }
            ws.closeNormally();
            return new Outcome(true, 2L * want);
        }
    }

    static byte[] wispPacket(int type, int stream, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(5 + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) type).putInt(stream).put(payload);
        return b.array();
    }

    static byte[] connectPayload(int port) {
        byte[] host = "127.0.0.1".getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(3 + host.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x01).putShort((short) port).put(host);
        return b.array();
    }

    @Override
    public void close() {
        wst.close();
        remotedServer.close();
        pool.shutdownNow();
        try {
            pool.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
