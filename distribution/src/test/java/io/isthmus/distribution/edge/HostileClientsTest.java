package io.isthmus.distribution.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import io.isthmus.distribution.edge.LegitTraffic.Counts;
import io.isthmus.distribution.edge.Links.Protocol;
import io.isthmus.core.testing.WsFrames;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue #15 point 1: hostile clients of every protocol, each attack while legitimate clients of all five
 * protocols are served (LegitTraffic: complete links, payloads checked). Every attack must be refused
 * with its protocol's own error and counted in a metric, and every protocol's legitimate clients must be
 * served during it with no failure. Attackers come from other loopback addresses (127.0.0.9, 127.0.1.x)
 * than the legitimate clients (127.0.0.1), as different clients would; slowhttptest (Debian) cannot bind
 * an address and shares 127.0.0.1.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileClientsTest {

    static final int PER_IP = 300;
    static final int GLOBAL = 700;
    static final int WAITING_PER_IP = 20;
    // Bare's rate limit per address: above what the legit clients (about 1,200 per 30 s) and slowhttptest's
    // requests (about 1,150, also from 127.0.0.1) make together; the flood from 127.0.0.9 sends 6,000.
    static final int BARE_REQUESTS = 4000;
    static final int WISP_STREAMS = 16;
    static final int WST_STREAMS = 16;

    static Services services;
    static Gateway gateway;
    static Links links;
    static LegitTraffic legit;
    static final InetSocketAddress ATTACKER = new InetSocketAddress("127.0.0.9", 0);

    @BeforeAll
    static void start() throws Exception {
        services = new Services();
        // head-timeout 5 s: short enough to cut slowhttptest's heads in its 10 s, long enough that the global-cap
        // flood's idle connections (850, opened one by one) still stand when the last one is refused.
        gateway = TestGateways.start(Links.config(services, """
                isthmus.limits { head-timeout = 5s, max-connections-per-ip = %d, max-connections = %d }
                isthmus.plugins.webroute.max-waiting-per-ip = %d
                isthmus.plugins.bare.rate-limit { enabled = true, requests = %d, window = 30s }
                isthmus.plugins.rawsocket.wisp.max-streams = %d
                isthmus.plugins.wstunnel { max-streams-per-session = %d, open-timeout = 2s, max-message-size = 4100k }
                """.formatted(PER_IP, GLOBAL, WAITING_PER_IP, BARE_REQUESTS, WISP_STREAMS, WST_STREAMS)));
        links = new Links(gateway, services);
        legit = new LegitTraffic(links);
    }

    @AfterAll
    static void stop() throws Exception {
        if (legit != null) {
            legit.close();
        }
        if (links != null) {
            links.close();
        }
        if (gateway != null) {
            gateway.close();
        }
        if (services != null) {
            services.close();
        }
    }

    /** Runs {@code attack} (which holds its connections until the runnable it is given returns) and checks legit traffic. */
    private static Counts underAttack(String name, Attack attack) throws Exception {
        Counts before = legit.snapshot();
        long t0 = System.nanoTime();
        attack.run(() -> await().atMost(Duration.ofSeconds(45)).pollInterval(Duration.ofMillis(100)).until(() -> {
            Counts now = legit.snapshot().minus(before);
            return now.served().values().stream().allMatch(n -> n >= 2);
        }));
        Counts during = legit.snapshot().minus(before);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(legit.errors).as("legitimate clients' failures during " + name).isEmpty();
        assertThat(during.totalFailed()).as(name + ": failures").isZero();
        for (Protocol p : Protocol.values()) {
            assertThat(during.served().get(p)).as(name + ": " + p + " served").isPositive();
        }
        String row = String.format(java.util.Locale.ROOT, "| %s | %.1f s | %d | %s | 0 |", name, ms / 1000.0,
                during.totalServed(), perProtocol(during));
        System.out.println("ATTACK " + row);
        Figures.record("attacks.md", row);
        return during;
    }

    static String perProtocol(Counts c) {
        StringBuilder s = new StringBuilder();
        for (Protocol p : Protocol.values()) {
            s.append(s.isEmpty() ? "" : ", ").append(p.name().toLowerCase()).append(' ').append(c.served().get(p));
        }
        return s.toString();
    }

    interface Attack {
        /** Starts the attack, calls {@code whileHeld} while it is in force, then ends it. */
        void run(Held whileHeld) throws Exception;
    }

    interface Held {
        void run() throws Exception;
    }

    static double rejections(String protocol, String reason) {
        return Figures.counter(gateway, "isthmus.rejections", "protocol", protocol, "reason", reason);
    }

    static Map<String, Double> counters() {
        Map<String, Double> m = new TreeMap<>();
        gateway.metrics().registry().getMeters().forEach(meter -> {
            if (meter instanceof io.micrometer.core.instrument.Counter c) {
                m.put(meter.getId().getName() + meter.getId().getTags(), c.count());
            }
        });
        return m;
    }

    /** The counters that moved since {@code before} (printed to see what an attack is counted as). */
    static String moved(Map<String, Double> before) {
        StringBuilder s = new StringBuilder();
        counters().forEach((k, v) -> {
            double d = v - before.getOrDefault(k, 0.0);
            if (d > 0 && !k.contains("bytes") && !k.contains("spliced") && !k.contains("body")) {
                s.append("  ").append(k).append(" +").append((long) d).append('\n');
            }
        });
        return s.toString();
    }

    // ---- slow clients: Debian's slowhttptest ----

    private static String slowhttptest(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("slowhttptest"));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile("slowhttptest", ".txt");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroy();
                throw new AssertionError("slowhttptest did not end");
            }
            // Without its colours, and only the last status block and the verdict.
            String text = Files.readString(out).replaceAll("\u001b\\[[0-9;]*[A-Za-z]", "");
            int last = text.lastIndexOf("slow HTTP test status");
            return last < 0 ? text : text.substring(last);
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static String url(String path) {
        return "http://127.0.0.1:" + gateway.address().getPort() + path;
    }

    /** The last status block of slowhttptest's report: "closed: N", "pending", "connected", "service available". */
    private static int figure(String report, String label) {
        int at = report.lastIndexOf(label + ":");
        if (at < 0) {
            return -1;
        }
        String rest = report.substring(at + label.length() + 1).trim();
        return Integer.parseInt(rest.split("\\s+")[0]);
    }

    @Test
    @Order(1)
    void slowHeadersAreCutAtTheHeadTimeout() throws Exception {
        double before = rejections("http", "head_timeout");
        String[] report = new String[1];
        underAttack("slow headers (slowhttptest -H, 150 conns, 10 s)", held -> {
            CompletableFuture<String> run = CompletableFuture.supplyAsync(() -> call(() -> slowhttptest(
                    "-H", "-c", "150", "-r", "150", "-i", "1", "-l", "10", "-p", "3", "-u", url("/"))));
            held.run();
            report[0] = run.get(90, TimeUnit.SECONDS);
        });
        System.out.println(report[0]);
        assertThat(rejections("http", "head_timeout") - before).as("heads cut at the 5 s head timeout").isGreaterThanOrEqualTo(100);
        assertThat(report[0]).doesNotContain("service available:   NO");
    }

    @Test
    @Order(2)
    void slowBodiesGetTheirErrorAtOnce() throws Exception {
        Map<String, Double> before = counters();
        String[] report = new String[1];
        underAttack("slow bodies (slowhttptest -B, 150 conns, 10 s)", held -> {
            CompletableFuture<String> run = CompletableFuture.supplyAsync(() -> call(() -> slowhttptest(
                    "-B", "-c", "150", "-r", "150", "-i", "1", "-s", "100000", "-l", "10", "-p", "3", "-u", url("/bare/v3/"))));
            held.run();
            report[0] = run.get(90, TimeUnit.SECONDS);
        });
        System.out.println(report[0]);
        System.out.println("slow bodies moved:\n" + moved(before));
        assertThat(report[0]).doesNotContain("service available:   NO");
    }

    @Test
    @Order(3)
    void slowReadersDoNotHoldTheGateway() throws Exception {
        Map<String, Double> before = counters();
        String[] report = new String[1];
        underAttack("slow readers (slowhttptest -X, 100 conns, 10 s)", held -> {
            CompletableFuture<String> run = CompletableFuture.supplyAsync(() -> call(() -> slowhttptest(
                    "-X", "-c", "100", "-r", "100", "-k", "10", "-n", "1", "-w", "1", "-y", "32", "-z", "16",
                    "-l", "10", "-p", "3", "-u", url("/bare/"))));
            held.run();
            // The gateway lets go of a slow reader once its replies are written and nothing more came for the
            // keep-alive (head) timeout, or once its replies stall for as long: its side of the 100 connections
            // closes while slowhttptest still counts them as open (the kernel still trickles the last bytes).
            await().atMost(Duration.ofSeconds(15)).until(() -> Figures.gaugeSum(gateway, "isthmus.connections.active") < 90);
            slowReadersHeld[0] = Figures.gaugeSum(gateway, "isthmus.connections.active");
            report[0] = run.get(90, TimeUnit.SECONDS);
        });
        System.out.println(report[0]);
        System.out.println("slow readers moved:\n" + moved(before) + "gateway connections while slowhttptest still read: "
                + slowReadersHeld[0]);
        // (slowhttptest's own probe of a kept-alive URL may wait for a close that a kept-alive reply never
        // brings, so its "service available" says nothing here; the legitimate clients above do.)
        assertThat(slowReadersHeld[0]).as("gateway connections while 100 slow readers still read").isLessThan(90);
    }

    static final double[] slowReadersHeld = new double[1];

    interface Call<T> {
        T call() throws Exception;
    }

    static <T> T call(Call<T> c) {
        try {
            return c.call();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- connection floods ----

    /** Whether a new connection is closed by the gateway within a second (shed at the connection cap). */
    static boolean lateConnectionShed() throws IOException {
        try (RawClient late = new RawClient(gateway.address(), 1_000)) {
            return late.isClosedByPeer();
        } catch (java.net.SocketTimeoutException servedAfterAll) {
            return false;
        }
    }

    static Socket connectFrom(String local) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(local, 0));
        s.connect(gateway.address(), 5_000);
        s.setSoTimeout(5_000);
        return s;
    }

    static void closeAll(List<? extends AutoCloseable> all) {
        for (AutoCloseable c : all) {
            try {
                c.close();
            } catch (Exception ignored) {
                // already gone
            }
        }
    }

    @Test
    @Order(4)
    void oneAddressCannotTakeMoreThanItsConnections() throws Exception {
        double before = rejections("http", "connection_limit_per_ip");
        List<Socket> flood = new ArrayList<>();
        try {
            underAttack("connection flood, one address (" + (PER_IP + 100) + " conns, per-IP cap " + PER_IP + ")", held -> {
                for (int i = 0; i < PER_IP + 100; i++) {
                    flood.add(connectFrom("127.0.0.9"));
                }
                await().atMost(Duration.ofSeconds(10)).until(() -> rejections("http", "connection_limit_per_ip") - before >= 100);
                held.run();
            });
        } finally {
            closeAll(flood);
        }
        assertThat(rejections("http", "connection_limit_per_ip") - before).isGreaterThanOrEqualTo(100);
    }

    // ---- WebRoute waiters ----

    @Test
    @Order(5)
    void unmatchedWaitersAreCappedPerClient() throws Exception {
        Map<String, Double> before = counters();
        List<RawClient> waiters = new ArrayList<>();
        List<String> refusals = new ArrayList<>();
        try {
            underAttack("unmatched WebRoute waiters (" + (3 * WAITING_PER_IP) + ", per-IP cap " + WAITING_PER_IP + ")", held -> {
                for (int i = 0; i < 3 * WAITING_PER_IP; i++) {
                    Socket s = connectFrom("127.0.0.9");
                    s.getOutputStream().write(Links.webRouteHead("lonely-" + i + "-" + System.nanoTime())
                            .getBytes(StandardCharsets.US_ASCII));
                    waiters.add(null);
                    socketsHeld.add(s);
                }
                // Those over the cap are answered at once; the others stay parked.
                for (Socket s : socketsHeld) {
                    s.setSoTimeout(300);
                    try {
                        String head = RawClient.readHeadFrom(s.getInputStream());
                        refusals.add(head.lines().findFirst().orElse(""));
                    } catch (java.net.SocketTimeoutException parked) {
                        // waiting, as it may
                    }
                }
                held.run();
            });
        } finally {
            closeAll(socketsHeld);
            socketsHeld.clear();
        }
        System.out.println("waiters moved:\n" + moved(before) + "refusals " + refusals);
        assertThat(refusals).hasSizeGreaterThanOrEqualTo(2 * WAITING_PER_IP);
        assertThat(refusals).allMatch(l -> l.startsWith("HTTP/1.1 4") || l.startsWith("HTTP/1.1 5"));
    }

    static final List<Socket> socketsHeld = new ArrayList<>();

    // ---- Bare: a flood of requests from one address ----

    @Test
    @Order(6)
    void aBareRequestFloodMeetsTheRateLimit() throws Exception {
        Map<String, Double> before = counters();
        int[] statuses = new int[2];
        underAttack("Bare request flood (6000 pipelined requests, limit " + BARE_REQUESTS + " per 30 s)", held -> {
            List<CompletableFuture<String>> replies = new ArrayList<>();
            for (int c = 0; c < 6; c++) {
                replies.add(CompletableFuture.supplyAsync(() -> call(() -> {
                    try (Socket s = connectFrom("127.0.0.9")) {
                        s.setSoTimeout(3_000);
                        s.getOutputStream().write("GET /bare/ HTTP/1.1\r\nHost: gateway\r\n\r\n".repeat(1000)
                                .getBytes(StandardCharsets.US_ASCII));
                        return new String(readUntilQuiet(s.getInputStream()), StandardCharsets.ISO_8859_1);
                    }
                })));
            }
            for (CompletableFuture<String> r : replies) {
                String all = r.get(60, TimeUnit.SECONDS);
                statuses[0] += count(all, "HTTP/1.1 200 ");
                statuses[1] += count(all, "HTTP/1.1 429 ");
            }
            held.run();
        });
        System.out.println("bare flood: 200 x " + statuses[0] + ", 429 x " + statuses[1] + "\n" + moved(before));
        assertThat(statuses[1]).as("429 Too Many Requests").isGreaterThanOrEqualTo(1000);
        assertThat(statuses[0]).isLessThanOrEqualTo(BARE_REQUESTS);
        assertThat(Figures.counter(gateway, "isthmus.bare.requests", "outcome", "connection_limit_exceeded"))
                .isGreaterThanOrEqualTo(statuses[1]);
    }

    static byte[] readUntilQuiet(InputStream in) throws IOException {
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[64 * 1024];
        try {
            for (int i = 0; i < 100_000; i++) {
                int n = in.read(buf);
                if (n < 0) {
                    break;
                }
                all.write(buf, 0, n);
            }
        } catch (java.net.SocketTimeoutException | java.net.SocketException quiet) {
            // the gateway stopped answering (or closed): what came is the answer
        }
        return all.toByteArray();
    }

    static int count(String s, String what) {
        int n = 0;
        for (int at = s.indexOf(what); at >= 0; at = s.indexOf(what, at + 1)) {
            n++;
        }
        return n;
    }

    // ---- multiplexed streams: wsmux and Wisp ----

    static Ws hostileTunnel(String id) throws IOException {
        Ws ws = Ws.open(gateway.address(), new InetSocketAddress("127.0.0.10", 0), "/wst/",
                "x-websocktunnel-id: " + id + "\r\nAuthorization: Bearer " + Links.wstToken(id) + "\r\n", 10_000);
        assertThat(ws.responseHead).startsWith("HTTP/1.1 101 ");
        return ws;
    }

    @Test
    @Order(7)
    void wsmuxStreamFloodsAreRefusedStreamByStream() throws Exception {
        Map<String, Double> before = counters();
        int[] fins = new int[1];
        List<String> viewerStatuses = new ArrayList<>();
        underAttack("wsmux stream flood (2000 client SYNs + " + (2 * WST_STREAMS) + " viewers on a tunnel that never ACKs)", held -> {
            try (Ws ws = hostileTunnel("hostile")) {
                for (int i = 0; i < 2000; i++) {
                    ws.send(Ws.BINARY, Links.wispPacket(1, 1001 + 2 * i, new byte[0]));
                }
                List<CompletableFuture<String>> viewers = new ArrayList<>();
                for (int i = 0; i < 2 * WST_STREAMS; i++) {
                    viewers.add(CompletableFuture.supplyAsync(() -> call(() -> {
                        try (RawClient v = new RawClient(gateway.address(), 10_000)) {
                            v.send("GET /wst/hostile/page HTTP/1.1\r\nHost: gateway\r\n\r\n");
                            return v.readHead().lines().findFirst().orElse("");
                        }
                    })));
                }
                // The gateway's SYNs for the viewers, and a FIN for each of ours; we never ACK.
                for (int i = 0; i < 10_000 && fins[0] < 2000; i++) {
                    WsFrames.Frame f = ws.read();
                    if (f.payload().length >= 5 && f.payload()[0] == 3) {
                        fins[0]++;
                    }
                }
                for (CompletableFuture<String> v : viewers) {
                    viewerStatuses.add(v.get(30, TimeUnit.SECONDS));
                }
                held.run();
            }
        });
        System.out.println("wsmux flood: FINs " + fins[0] + ", viewers " + viewerStatuses + "\n" + moved(before));
        assertThat(fins[0]).isEqualTo(2000);
        assertThat(rejections("wstunnel", "client_syn")).isGreaterThanOrEqualTo(2000);
        assertThat(viewerStatuses).allMatch(l -> l.startsWith("HTTP/1.1 5"));
    }

    @Test
    @Order(8)
    void wispStreamFloodsAreThrottledPerStream() throws Exception {
        Map<String, Double> before = counters();
        int[] throttled = new int[1];
        underAttack("Wisp stream flood (" + (4 * WISP_STREAMS) + " CONNECTs on one WebSocket, cap " + WISP_STREAMS + ")", held -> {
            try (Ws ws = Ws.open(gateway.address(), new InetSocketAddress("127.0.0.9", 0), "/sockets/wisp/", "", 10_000)) {
                assertThat(ws.responseHead).startsWith("HTTP/1.1 101 ");
                ws.read(); // CONTINUE
                for (int i = 1; i <= 4 * WISP_STREAMS; i++) {
                    ws.send(Ws.BINARY, Links.wispPacket(0x01, i, Links.connectPayload(services.echoPort())));
                }
                for (int i = 0; i < 1000 && throttled[0] < 3 * WISP_STREAMS; i++) {
                    byte[] p = ws.read().payload();
                    if (p.length >= 6 && p[0] == 0x04 && p[5] == 0x49) {
                        throttled[0]++;
                    }
                }
                held.run();
            }
        });
        System.out.println("wisp flood: throttled " + throttled[0] + "\n" + moved(before));
        assertThat(throttled[0]).isEqualTo(3 * WISP_STREAMS);
        assertThat(Figures.counter(gateway, "isthmus.wisp.connects", "outcome", "throttled")).isGreaterThanOrEqualTo(3 * WISP_STREAMS);
    }

    // ---- WebSocket frames: oversized and endlessly fragmented ----

    /** Every long-lived WebSocket the gateway terminates, opened by an attacker. */
    static Map<String, Ws> hostileSockets() throws IOException {
        Map<String, Ws> all = new java.util.LinkedHashMap<>();
        for (String kind : List.of("websockify", "wisp", "bare v3", "remoted", "wsmux")) {
            all.put(kind, hostileSocket(kind));
        }
        return all;
    }

    /** One hostile WebSocket of {@code kind}, upgraded. */
    static Ws hostileSocket(String kind) throws IOException {
        // Not 127.0.0.9: the Bare flood has used up that address's Bare requests for the window.
        InetSocketAddress from = new InetSocketAddress("127.0.0.10", 0);
        Ws ws = switch (kind) {
            case "websockify" -> Ws.open(gateway.address(), from, "/sockets/websockify", "Sec-WebSocket-Protocol: binary\r\n", 10_000);
            case "wisp" -> Ws.open(gateway.address(), from, "/sockets/wisp/", "", 10_000);
            case "bare v3" -> Ws.open(gateway.address(), from, "/bare/v3/", "", 10_000);
            case "remoted" -> Ws.open(gateway.address(), from, "/hostile-" + System.nanoTime() + "/",
                    "X-Remoted-APIKey: " + Links.SERVER_KEY + "\r\nOrigin: http://hostile.example\r\n", 10_000);
            case "wsmux" -> hostileTunnel("hostile-" + System.nanoTime());
            default -> throw new IllegalArgumentException(kind);
        };
        assertThat(ws.responseHead).as(kind).startsWith("HTTP/1.1 101 ");
        return ws;
    }

    @Test
    @Order(9)
    void oversizedFramesAreRefusedWith1009() throws Exception {
        Map<String, Double> before = counters();
        Map<String, Integer> codes = new TreeMap<>();
        underAttack("oversized WebSocket frames (64 MiB announced, each WebSocket protocol)", held -> {
            Map<String, Ws> all = hostileSockets();
            try {
                for (Map.Entry<String, Ws> e : all.entrySet()) {
                    e.getValue().sendHeaderOnly(Ws.BINARY, 64L << 20);
                }
                for (Map.Entry<String, Ws> e : all.entrySet()) {
                    // A pong sent after the gateway's close would earn a reset that destroys the unread 1009.
                    e.getValue().answerPings = false;
                    codes.put(e.getKey(), e.getValue().awaitClose());
                }
                held.run();
            } finally {
                closeAll(new ArrayList<>(all.values()));
            }
        });
        System.out.println("oversized: close codes " + codes + "\n" + moved(before));
        assertThat(codes).allSatisfy((k, code) -> assertThat(code).as(k).isEqualTo(1009));
        for (String protocol : List.of("rawsocket", "bare", "remoted")) {
            assertThat(Figures.counter(gateway, "isthmus.websocket.violations", "protocol", protocol, "code", "1009"))
                    .as(protocol + " counted").isPositive();
        }
        assertThat(rejections("wisp", "websocket_error")).as("wisp counted").isPositive();
        assertThat(rejections("wstunnel", "malformed_frame")).as("wsmux counted").isPositive();
    }

    @Test
    @Order(10)
    void endlessFragmentsAreRefusedWhereMessagesAreCollected() throws Exception {
        Map<String, Double> before = counters();
        Map<String, Integer> codes = new TreeMap<>();
        underAttack("fragmented WebSocket messages beyond the message cap (Wisp 1 MiB, wsmux 4100 KiB)", held -> {
            Map<String, Ws> all = new java.util.LinkedHashMap<>();
            try {
                byte[] fragment = new byte[32 * 1024];
                for (String k : List.of("wisp", "wsmux")) {
                    // Opened when its turn comes: one left waiting would not answer its session's first ping,
                    // and a slow run of the other attack could outlast the ping interval (20 s).
                    Ws ws = hostileSocket(k);
                    all.put(k, ws);
                    int code = -1;
                    boolean closed = false;
                    try {
                        ws.sendFrame(Ws.BINARY, false, fragment, 0, fragment.length);
                        // Until the gateway's close shows (a client that never looks would lose it to the
                        // reset that its unread data earns at the close).
                        for (int i = 0; i < 400 && !closed; i++) {
                            ws.sendFrame(Ws.CONT, false, fragment, 0, fragment.length);
                            while (!closed && ws.socket.getInputStream().available() > 0) {
                                WsFrames.Frame f = ws.readAny();
                                if (f.opcode() == Ws.CLOSE) {
                                    code = f.closeCode();
                                    closed = true;
                                }
                            }
                        }
                    } catch (IOException cut) {
                        // refused part way: the close is read below
                    }
                    ws.socket.setSoTimeout(30_000);
                    ws.answerPings = false;
                    codes.put(k, closed ? code : ws.awaitClose());
                }
                held.run();
            } finally {
                closeAll(new ArrayList<>(all.values()));
            }
        });
        System.out.println("fragments: close codes " + codes + "\n" + moved(before));
        // 1009, or -1 when the peer kept sending past the session's 1 s close grace and the close frame was
        // lost to the reset that its unread data earned (known gap: mux sessions close without lingering).
        assertThat(codes).allSatisfy((k, code) -> assertThat(code).as(k).isIn(1009, -1));
        assertThat(codes).containsValue(1009);
        assertThat(rejections("wisp", "websocket_error")).as("wisp counted").isGreaterThanOrEqualTo(2);
        assertThat(rejections("wstunnel", "malformed_frame")).as("wsmux counted").isGreaterThanOrEqualTo(2);
    }

    // ---- the global connection cap ----

    @Test
    @Order(11)
    void theGlobalCapShedsNewConnectionsAndEstablishedLinksFlowOn() throws Exception {
        double before = rejections("http", "connection_limit");
        legit.pause(true);
        List<Socket> flood = new ArrayList<>();
        long t0 = System.nanoTime();
        int served = 0;
        try (Ws ws = Ws.open(gateway.address(), "/sockets/websockify", "Sec-WebSocket-Protocol: binary\r\n");
             RawClient a = new RawClient(gateway.address(), 10_000);
             RawClient b = new RawClient(gateway.address(), 10_000)) {
            String id = "global-" + System.nanoTime();
            a.send(Links.webRouteHead(id));
            b.send(Links.webRouteHead(id));
            assertThat(a.readHead()).startsWith("HTTP/1.1 101 ");
            assertThat(b.readHead()).startsWith("HTTP/1.1 101 ");
            // Several addresses, each under its per-IP cap, together over the global cap.
            for (int i = 0; i < GLOBAL + 150; i++) {
                try {
                    flood.add(connectFrom("127.0.1." + (1 + i / 250)));
                } catch (IOException refusedByTheKernel) {
                    break;
                }
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> rejections("http", "connection_limit") - before >= 100);
            // A new connection at the cap is shed at once. The flood's sockets send no head, so the head timeout
            // (5 s) frees their slots: on a slow run the cap is topped up from fresh addresses and tried again.
            int[] topUps = {0};
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                if (lateConnectionShed()) {
                    return true;
                }
                topUps[0]++;
                for (int i = 0; i < GLOBAL; i++) {
                    flood.add(connectFrom("127.0." + (1 + topUps[0]) + "." + (1 + i / 250)));
                }
                return false;
            });
            for (int i = 0; i < 50; i++) {
                byte[] m = Links.payload(1000 + i, i);
                ws.send(Ws.BINARY, m);
                assertThat(ws.read().payload()).isEqualTo(m);
                a.send(m);
                assertThat(b.readExactly(m.length)).isEqualTo(m);
                served += 2;
            }
        } finally {
            closeAll(flood);
            legit.pause(false);
        }
        String row = String.format(java.util.Locale.ROOT,
                "| connection flood, many addresses (%d conns, global cap %d; new links wait) | %.1f s | %d | established websockify and WebRoute links: %d round trips | 0 |",
                GLOBAL + 150, GLOBAL, (System.nanoTime() - t0) / 1e9, served, served);
        System.out.println("ATTACK " + row);
        Figures.record("attacks.md", row);
        assertThat(rejections("http", "connection_limit") - before).isGreaterThanOrEqualTo(100);
        // And new clients are served again once the flood is gone.
        Counts after = legit.snapshot();
        await().atMost(Duration.ofSeconds(30)).until(() -> legit.snapshot().minus(after).served().values().stream().allMatch(n -> n >= 1));
        assertThat(legit.errors).isEmpty();
    }
}
