package io.isthmus.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.ValidatedConfig;
import io.isthmus.core.config.ConfigLoader;
import io.isthmus.core.metrics.GatewayMetrics;
import io.isthmus.core.splice.SpliceEngine;
import io.isthmus.core.testing.NginxFixture;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import io.isthmus.core.testing.HandJwt;
import io.isthmus.remoted.sdk.RemotedClient;
import io.isthmus.remoted.sdk.RemotedServerSocket;
import io.isthmus.remoted.sdk.RemotedSocket;
import io.isthmus.webroute.client.WebRouteConnection;
import io.isthmus.wstunnel.client.TokenSource;
import io.isthmus.wstunnel.client.WstClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scale-out by consistent hashing (issue #15, point 7): three in-process Isthmus instances behind a real
 * Debian nginx running the shipped example ({@code src/dist/examples/nginx.conf}), then behind Debian's
 * HAProxy running its shipped example ({@code haproxy.cfg}), each changed only in its ports and its list
 * of instances; a separate nginx is the origin that Bare requests and websocktunnel clients reach. WebRoute pairs, Remoted registrations and their clients, and
 * websocktunnel clients and their viewers meet on the instance their pairing key hashes to, while Bare
 * and Wisp requests spread round-robin over all three (counted from each instance's own metrics). Then
 * one instance is drained (stopped gracefully): every link on the other two keeps moving bytes, and new
 * pairs and stateless requests are still served. The distribution of links per instance is printed and
 * written to {@code target/scale-out-distribution-<balancer>.txt} (docs/OPERATIONS.md quotes it).
 */
class ScaleOutIT {

    private static final String SERVER_KEY = "s3rverKeyForTheScaleOutTestsOnly00000000000";
    private static final String CLIENT_KEY = "c1ientKeyForTheScaleOutTestsOnly00000000000";
    private static final String WST_SECRET = "scale-out-secret-0123456789-0123456789-0123";
    private static final int INSTANCES = 3;
    private static final int PAIRS = 24;
    private static final int SERVICES = 6;
    private static final int TUNNELS = 6;
    private static final int STATELESS = 30;
    private static final Duration LIMIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final List<AutoCloseable> open = new ArrayList<>();

    @ParameterizedTest(name = "behind {0}")
    @ValueSource(strings = {"nginx", "haproxy"})
    void pairsMeetOnTheirInstanceStatelessTrafficSpreadsAndADrainLeavesTheOthersAlone(String balancer) throws Exception {
        List<Gateway> gateways = new ArrayList<>();
        SpliceEngine clientSplices = new SpliceEngine(ValidatedConfig.of(ConfigLoader.loadString("")).core().splice(),
                new GatewayMetrics("scale-out-client"), false);
        try {
            for (int i = 0; i < INSTANCES; i++) {
                gateways.add(TestGateways.start("""
                        isthmus.trusted-proxies = ["127.0.0.1/32"]
                        isthmus.shutdown.drain-timeout = 2s
                        isthmus.plugins.remoted { server-keys = ["%s"], client-keys = ["%s"] }
                        isthmus.plugins.wstunnel.secrets = ["%s"]
                        isthmus.plugins.bare.egress.allow-cidrs = ["127.0.0.0/8"]
                        """.formatted(SERVER_KEY, CLIENT_KEY, WST_SECRET)));
            }
            try (NginxFixture originServer = NginxFixture.start("location / { return 200 \"origin\\n\"; }");
                 Front nginx = balancer.equals("nginx") ? nginxInFrontOf(gateways) : haproxyInFrontOf(gateways)) {
                int origin = originServer.address().getPort();
                int port = nginx.address().getPort();
                String host = "127.0.0.1:" + port;
                StringBuilder report = new StringBuilder();

                // 1. WebRoute pairs: both halves carry the same WebRoute-ID, so they meet on one instance.
                List<Pair> pairs = new ArrayList<>();
                for (int p = 0; p < PAIRS; p++) {
                    String id = "scale-pair-" + p;
                    double[] before = perInstance(gateways, g -> splicesActive(g, "webroute"));
                    RawClient a = keep(new RawClient(nginx.address(), 20_000));
                    a.send(webRoute("/scale/" + p, id));
                    await("first half of " + id + " waiting").atMost(LIMIT)
                            .until(() -> sum(perInstance(gateways, g -> waiting(g, "webroute"))) >= 1);
                    RawClient b = keep(new RawClient(nginx.address(), 20_000));
                    b.send(webRoute("/scale/" + p, id));
                    assertThat(a.readHead()).as(id + nginx.errorLog()).startsWith("HTTP/1.1 101 ");
                    assertThat(b.readHead()).as(id).startsWith("HTTP/1.1 101 ");
                    int on = await(id + " linked").atMost(LIMIT).until(() -> grew(before, perInstance(gateways, g -> splicesActive(g, "webroute"))),
                            i -> i >= 0);
                    Pair pair = new Pair(id, a, b, on);
                    pair.roundTrip();
                    pairs.add(pair);
                }
                int[] pairsOn = new int[INSTANCES];
                pairs.forEach(p -> pairsOn[p.instance]++);
                line(report, "webroute pairs (by WebRoute-ID)", pairsOn);
                assertThat(count(pairsOn)).as("instances holding pairs").isGreaterThanOrEqualTo(2);

                // 2. Remoted: a server registers its path, clients of that path (X-Remoted-APIKey: hashed by path)
                // and the server's connect-back reach the same instance and link.
                List<RemotedLink> links = new ArrayList<>();
                for (int s = 0; s < SERVICES; s++) {
                    double[] before = perInstance(gateways, g -> handshakes(g, "remoted", "server_registered"));
                    RemotedServerSocket server = keep(RemotedServerSocket.open("rws://" + SERVER_KEY + "@" + host + "/svc-" + s + "/"));
                    assertThat(server.awaitRegistered(LIMIT)).as("registration " + s).isTrue();
                    int on = await().atMost(LIMIT).until(() -> grew(before, perInstance(gateways,
                            g -> handshakes(g, "remoted", "server_registered"))), i -> i >= 0);
                    for (int c = 0; c < 2; c++) {
                        links.add(remotedLink(server, "rwr://" + CLIENT_KEY + "@" + host + "/svc-" + s + "/", on));
                    }
                }
                int[] remotedOn = new int[INSTANCES];
                links.forEach(l -> remotedOn[l.instance]++);
                line(report, "remoted links (by path)", remotedOn);
                for (int i = 0; i < INSTANCES; i++) {
                    assertThat(splicesActive(gateways.get(i), "remoted")).as("remoted links on instance " + i).isEqualTo(remotedOn[i]);
                }

                // 3. websocktunnel: a client registers with x-websocktunnel-id, viewers reach /wst/<id>/...
                List<Tunnel> tunnels = new ArrayList<>();
                for (int t = 0; t < TUNNELS; t++) {
                    String id = "scale-tunnel-" + t;
                    double[] before = perInstance(gateways, g -> gauge(g, "isthmus.wstunnel.sessions"));
                    WstClient client = keep(wstClient(clientSplices, "http://" + host + "/wst", id, origin));
                    int on = await(id + " registered").atMost(LIMIT).until(() -> grew(before,
                            perInstance(gateways, g -> gauge(g, "isthmus.wstunnel.sessions"))), i -> i >= 0);
                    Tunnel tunnel = new Tunnel(id, client, on);
                    for (int v = 0; v < 3; v++) {
                        assertThat(view(port, id, "/page-" + v)).as("viewer of " + id).isEqualTo(200);
                    }
                    tunnels.add(tunnel);
                }
                int[] tunnelsOn = new int[INSTANCES];
                tunnels.forEach(t -> tunnelsOn[t.instance]++);
                line(report, "websocktunnel clients (by ID)", tunnelsOn);
                line(report, "websocktunnel viewer requests", ints(perInstance(gateways, g -> counter(g, "isthmus.wstunnel.viewer.requests", "outcome", "ok"))));
                for (int i = 0; i < INSTANCES; i++) {
                    assertThat(counter(gateways.get(i), "isthmus.wstunnel.viewer.requests", "outcome", "ok"))
                            .as("viewers served on instance " + i + ", where its clients are").isEqualTo(3.0 * tunnelsOn[i]);
                }

                // 4. Stateless: Bare requests and Wisp sessions, round-robin over all three.
                for (int r = 0; r < STATELESS; r++) {
                    assertThat(bare(port, origin)).as("bare request " + r).isEqualTo(200);
                }
                int[] bareOn = ints(perInstance(gateways, g -> counter(g, "isthmus.bare.requests", "outcome", "ok")));
                line(report, "bare requests (round-robin)", bareOn);
                assertThat(sum(bareOn)).isEqualTo(STATELESS);
                assertThat(java.util.Arrays.stream(bareOn).min().orElse(0)).as("fewest bare requests on one instance").isGreaterThanOrEqualTo(STATELESS / INSTANCES - 1);
                for (int w = 0; w < STATELESS; w++) {
                    wisp(port);
                }
                int[] wispOn = ints(perInstance(gateways, g -> handshakes(g, "wisp", null)));
                line(report, "wisp sessions (round-robin)", wispOn);
                assertThat(sum(wispOn)).isEqualTo(STATELESS);
                assertThat(java.util.Arrays.stream(wispOn).min().orElse(0)).as("fewest wisp sessions on one instance").isGreaterThanOrEqualTo(STATELESS / INSTANCES - 1);

                // 5. Drain the instance holding the most pairs; everything on the other two carries on.
                int drained = 0;
                for (int i = 1; i < INSTANCES; i++) {
                    drained = pairsOn[i] > pairsOn[drained] ? i : drained;
                }
                report.append("drained instance: ").append(drained).append('\n');
                gateways.get(drained).shutdown();
                int survived = 0;
                for (Pair p : pairs) {
                    if (p.instance != drained) {
                        p.roundTrip();
                        survived++;
                    } else {
                        assertThat(p.a.readToEof()).as("a pair on the drained instance is closed").isNotNull();
                    }
                }
                for (RemotedLink l : links) {
                    if (l.instance != drained) {
                        l.roundTrip();
                    }
                }
                for (Tunnel t : tunnels) {
                    if (t.instance != drained) {
                        assertThat(view(port, t.id, "/after-drain")).as("viewer of " + t.id + " after the drain").isEqualTo(200);
                    }
                }
                // New stateless requests go round the two that are left (a request that met the stopped instance
                // first is retried on another); new pairs still meet.
                for (int r = 0; r < 6; r++) {
                    assertThat(bare(port, origin)).as("bare after the drain").isEqualTo(200);
                }
                int finalDrained = drained;
                if (balancer.equals("haproxy")) {
                    // Until its health check marks the stopped instance down (2 x 2s), HAProxy may pick it first
                    // and redispatch; wait for the verdict so that both halves of a new pair see the same ring.
                    await("haproxy marks the stopped instance down").atMost(LIMIT).pollInterval(Duration.ofMillis(500))
                            .until(() -> nginx.log().contains("isthmus_paired/isthmus" + (finalDrained + 1) + " is DOWN"));
                }
                for (int p = 0; p < 6; p++) {
                    String id = "after-drain-" + p;
                    RawClient a = keep(new RawClient(nginx.address(), 20_000));
                    a.send(webRoute("/scale/after/" + p, id));
                    RawClient b = keep(new RawClient(nginx.address(), 20_000));
                    await(id).atMost(LIMIT).until(() -> sum(perInstance(gateways, g -> waiting(g, "webroute"))) >= 1);
                    b.send(webRoute("/scale/after/" + p, id));
                    assertThat(a.readHead()).as(id).startsWith("HTTP/1.1 101 ");
                    assertThat(b.readHead()).as(id).startsWith("HTTP/1.1 101 ");
                    new Pair(id, a, b, -1).roundTrip();
                }
                report.append("after the drain: ").append(survived).append(" of ").append(PAIRS)
                        .append(" pairs on the other instances still linked and moving bytes; new pairs and requests served\n");
                System.out.print("scale-out distribution of links per instance, behind " + balancer + "\n" + report);
                Files.createDirectories(Path.of("target"));
                Files.writeString(Path.of("target/scale-out-distribution-" + balancer + ".txt"), report.toString());
            }
        } finally {
            for (int i = open.size() - 1; i >= 0; i--) {
                try {
                    open.get(i).close();
                } catch (Exception ignored) {
                    // closing what is left after a failure
                }
            }
            gateways.forEach(Gateway::close);
        }
    }

    /** The shipped nginx example with this test's port and instances (in both upstreams), nothing else changed. */
    private Front nginxInFrontOf(List<Gateway> gateways) throws Exception {
        StringBuilder servers = new StringBuilder();
        for (Gateway g : gateways) {
            servers.append("    server 127.0.0.1:").append(g.address().getPort()).append(";\n");
        }
        int port = Loopback.freePort();
        String example = Files.readString(Path.of("src/dist/examples/nginx.conf"));
        assertThat(example).contains("    server 127.0.0.1:8080;\n").contains("listen 80;");
        String site = example.replaceAll("(?m)^    server 127\\.0\\.0\\.1:8080;\n", servers.toString())
                .replace("listen 80;", "listen 127.0.0.1:" + port + ";")
                .replace("listen [::]:80;", "");
        Path nginxDir = Files.createDirectories(dir.resolve("nginx"));
        Files.writeString(nginxDir.resolve("site.conf"), site);
        Files.writeString(nginxDir.resolve("nginx.conf"), NginxFixture.mainConfig(nginxDir, "include " + nginxDir.resolve("site.conf") + ";"));
        return Front.start(nginxDir, port, "error.log", NginxFixture.binary().toString(), "-p", nginxDir.toString(),
                "-c", nginxDir.resolve("nginx.conf").toString());
    }

    /** The shipped HAProxy example with this test's port and instances (in both backends), after a minimal global section. */
    private Front haproxyInFrontOf(List<Gateway> gateways) throws Exception {
        StringBuilder servers = new StringBuilder();
        for (int i = 0; i < gateways.size(); i++) {
            servers.append("    server isthmus").append(i + 1).append(" 127.0.0.1:").append(gateways.get(i).address().getPort()).append('\n');
        }
        int port = Loopback.freePort();
        String example = Files.readString(Path.of("src/dist/examples/haproxy.cfg"));
        assertThat(example).contains("    server isthmus1 127.0.0.1:8080\n").contains("bind :80\n");
        String cfg = example.replaceAll("(?m)^    server isthmus1 127\\.0\\.0\\.1:8080\n", servers.toString())
                .replace("bind :80\n", "bind 127.0.0.1:" + port + "\n");
        Path haproxyDir = Files.createDirectories(dir.resolve("haproxy"));
        Path file = Files.writeString(haproxyDir.resolve("haproxy.cfg"), "global\n    maxconn 4000\n\n" + cfg);
        return Front.start(haproxyDir, port, null, "/usr/sbin/haproxy", "-db", "-f", file.toString());
    }

    /** The balancer in front: its process, its public address, where it logs. */
    private record Front(ChildProcess process, InetSocketAddress address, Path dir, String errorLogName) implements AutoCloseable {
        static Front start(Path dir, int port, String errorLogName, String... command) throws IOException {
            ChildProcess process = ChildProcess.start(dir, Map.of(), List.of(command));
            Front front = new Front(process, new InetSocketAddress("127.0.0.1", port), dir, errorLogName);
            try {
                await("balancer up").atMost(LIMIT).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                        .failFast("balancer exited", () -> !process.process().isAlive())
                        .until(() -> {
                            try (java.net.Socket s = new java.net.Socket()) {
                                s.connect(front.address, 500);
                                return true;
                            }
                        });
            } catch (RuntimeException e) {
                throw new AssertionError("balancer did not start: " + process + front.errorLog(), e);
            }
            return front;
        }

        /** Everything the balancer printed (HAProxy logs server state changes on its output). */
        String log() {
            return process.toString();
        }

        String errorLog() {
            try {
                return errorLogName == null ? "\n" + process : "\n" + Files.readString(dir.resolve(errorLogName));
            } catch (IOException e) {
                return "";
            }
        }

        @Override
        public void close() throws Exception {
            process.close();
        }
    }

    private static String webRoute(String path, String id) {
        return "GET " + path + " HTTP/1.1\r\nHost: gateway\r\nConnection: Upgrade\r\nUpgrade: webroute\r\n"
                + "WebRoute-Version: 1\r\nWebRoute-ID: " + id + "\r\n\r\n";
    }

    private RemotedLink remotedLink(RemotedServerSocket server, String url, int instance) throws Exception {
        CompletableFuture<RemotedSocket> accepted = TrafficMix.acceptLater(server);
        WebRouteConnection client = RemotedClient.connect(url, null);
        open.add(client::close);
        RemotedSocket served = keep(accepted.get(20, TimeUnit.SECONDS));
        RemotedLink link = new RemotedLink(client, served, instance);
        link.roundTrip();
        return link;
    }

    private WstClient wstClient(SpliceEngine splices, String base, String id, int port) {
        long now = System.currentTimeMillis() / 1000;
        WstClient c = new WstClient(base, id, port, TokenSource.fixed(jwt(id, now + 3600, now - 60)), null, line -> { },
                splices, Duration.ofSeconds(20));
        Thread t = new Thread(() -> {
            try {
                c.run();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "wst-client-" + id);
        t.setDaemon(true);
        t.start();
        await(id + " connected").atMost(LIMIT).until(c::connected);
        return c;
    }

    private static String jwt(String tid, long exp, long nbf) {
        return HandJwt.hs256(WST_SECRET, "{\"tid\":\"" + tid + "\",\"exp\":" + exp + ",\"nbf\":" + nbf + "}");
    }

    private int view(int port, String id, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/wst/" + id + path))
                .timeout(LIMIT).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode() != 200 || r.body().equals("origin\n")).as("viewer body " + r.body()).isTrue();
        return r.statusCode();
    }

    private int bare(int port, int origin) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/bare/v3/"))
                .header("X-Bare-URL", "http://127.0.0.1:" + origin + "/bare-origin")
                .header("X-Bare-Headers", "{\"Host\":\"127.0.0.1:" + origin + "\"}")
                .timeout(LIMIT).build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode();
    }

    /** Opens a Wisp WebSocket, waits for the server's first packet (CONTINUE for stream 0), closes it. */
    private void wisp(int port) throws Exception {
        CompletableFuture<ByteBuffer> first = new CompletableFuture<>();
        WebSocket ws = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                .buildAsync(URI.create("ws://127.0.0.1:" + port + "/sockets/wisp/"), new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
                        first.complete(data);
                        return null;
                    }

                    @Override
                    public void onError(WebSocket webSocket, Throwable error) {
                        first.completeExceptionally(error);
                    }
                }).get(20, TimeUnit.SECONDS);
        assertThat(first.get(20, TimeUnit.SECONDS).get(0)).as("Wisp CONTINUE").isEqualTo((byte) 0x03);
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "").get(10, TimeUnit.SECONDS);
        ws.abort();
    }

    // ---- per-instance metrics ----

    private static double[] perInstance(List<Gateway> gateways, ToDoubleFunction<Gateway> f) {
        double[] v = new double[gateways.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = gateways.get(i).isReady() ? f.applyAsDouble(gateways.get(i)) : 0;
        }
        return v;
    }

    /** The one instance whose figure went up by one, or -1 while none has. */
    private static int grew(double[] before, double[] now) {
        for (int i = 0; i < now.length; i++) {
            if (now[i] >= before[i] + 1) {
                return i;
            }
        }
        return -1;
    }

    private static double splicesActive(Gateway g, String protocol) {
        var m = g.metrics().registry().find("isthmus.splices.active").tag("protocol", protocol).gauge();
        return m == null ? 0 : m.value();
    }

    private static double waiting(Gateway g, String protocol) {
        var m = g.metrics().registry().find("isthmus.webroute.waiting").tag("protocol", protocol).gauge();
        return m == null ? 0 : m.value();
    }

    private static double gauge(Gateway g, String name) {
        var m = g.metrics().registry().find(name).gauge();
        return m == null ? 0 : m.value();
    }

    private static double counter(Gateway g, String name, String key, String value) {
        return g.metrics().registry().find(name).tag(key, value).counters().stream().mapToDouble(c -> c.count()).sum();
    }

    private static double handshakes(Gateway g, String protocol, String outcome) {
        var search = g.metrics().registry().find("isthmus.handshakes").tag("protocol", protocol);
        if (outcome != null) {
            search = search.tag("outcome", outcome);
        }
        return search.counters().stream().mapToDouble(c -> c.count()).sum();
    }

    private static int[] ints(double[] v) {
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = (int) v[i];
        }
        return r;
    }

    private static double sum(double[] v) {
        double s = 0;
        for (double d : v) {
            s += d;
        }
        return s;
    }

    private static int sum(int[] v) {
        int s = 0;
        for (int d : v) {
            s += d;
        }
        return s;
    }

    private static int count(int[] v) {
        int n = 0;
        for (int d : v) {
            n += d > 0 ? 1 : 0;
        }
        return n;
    }

    private static void line(StringBuilder report, String what, int[] perInstance) {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (int i = 0; i < perInstance.length; i++) {
            m.put("instance " + i, perInstance[i]);
        }
        report.append(String.format("%-34s %s%n", what, m));
    }

    private <T extends AutoCloseable> T keep(T c) {
        open.add(c);
        return c;
    }

    private record Pair(String id, RawClient a, RawClient b, int instance) {
        void roundTrip() throws IOException {
            byte[] up = (id + " up").getBytes(StandardCharsets.US_ASCII);
            byte[] down = (id + " down!").getBytes(StandardCharsets.US_ASCII);
            a.send(up);
            assertThat(b.readExactly(up.length)).isEqualTo(up);
            b.send(down);
            assertThat(a.readExactly(down.length)).isEqualTo(down);
        }
    }

    private record RemotedLink(WebRouteConnection client, RemotedSocket served, int instance) {
        void roundTrip() throws IOException {
            client.output().write("ping".getBytes(StandardCharsets.US_ASCII));
            client.output().flush();
            assertThat(served.getInputStream().readNBytes(4)).asString(StandardCharsets.US_ASCII).isEqualTo("ping");
            served.getOutputStream().write("pong!".getBytes(StandardCharsets.US_ASCII));
            served.getOutputStream().flush();
            assertThat(client.input().readNBytes(5)).asString(StandardCharsets.US_ASCII).isEqualTo("pong!");
        }
    }

    private record Tunnel(String id, WstClient client, int instance) {
    }
}
