package io.isthmus.wstunnel;

import static io.isthmus.wstunnel.Jwts.A;
import static io.isthmus.wstunnel.Jwts.B;
import static io.isthmus.wstunnel.Jwts.now;
import static io.isthmus.wstunnel.Jwts.t;
import static io.isthmus.wstunnel.Jwts.token;
import static io.isthmus.wstunnel.Jwts.valid;
import static io.isthmus.wstunnel.WsmuxTestClient.ACK;
import static io.isthmus.wstunnel.WsmuxTestClient.DAT;
import static io.isthmus.wstunnel.WsmuxTestClient.FIN;
import static io.isthmus.wstunnel.WsmuxTestClient.SYN;
import static io.isthmus.wstunnel.WsmuxTestClient.le;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.RawClient;
import io.isthmus.wstunnel.WsmuxTestClient.Frame;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The server conformance cases of websocktunnel.md §10, against {@link WsmuxTestClient} (bytes from the
 * document). The gateway mounts websocktunnel at "/" so that paths read exactly as in the document.
 */
class WstunnelConformanceTest {

    static final String CONFIG = """
            isthmus.plugins.wstunnel {
              prefix = "/"
              url-prefix = "http://h:1/"
              secrets = ["%s", "%s"]
              audience = "myaud"
              open-timeout = 1s
            }
            """.formatted(A, B);

    static Gateway gateway;
    static InetSocketAddress address;

    @BeforeAll
    static void start() {
        gateway = io.isthmus.core.testing.TestGateways.start(CONFIG);
        address = gateway.address();
    }

    @AfterAll
    static void stop() {
        gateway.shutdown();
    }

    private static String upgrade(String id, String auth) {
        return "GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" + (id == null ? "" : "x-websocktunnel-id: " + id + "\r\n")
                + (auth == null ? "" : "Authorization: " + auth + "\r\n") + "\r\n";
    }

    private static String exchange(String request) throws IOException {
        try (RawClient c = new RawClient(address, 10_000)) {
            c.send(request);
            return c.readToEofAscii();
        }
    }

    /** The status line only (a 101 never ends, so the head is read, not the whole exchange). */
    private static String status(String request) throws IOException {
        try (RawClient c = new RawClient(address, 10_000)) {
            c.send(request);
            String r = c.readHead();
            return r.substring(0, r.indexOf("\r\n"));
        }
    }

    private static String body(String response) {
        return response.substring(response.indexOf("\r\n\r\n") + 4);
    }

    private static WsmuxTestClient register(String id) throws IOException {
        WsmuxTestClient c = WsmuxTestClient.register(address, "/", id, valid(id));
        assertThat(c.responseHead).startsWith("HTTP/1.1 101");
        return c;
    }

    @Test
    void case01and02_validTokenSignedWithEitherSecretRegisters() throws Exception {
        try (WsmuxTestClient c = register("c1")) {
            assertThat(c.responseHead).containsIgnoringCase("X-Websocktunnel-Client-Url: http://h:1/c1\r\n");
        }
        try (WsmuxTestClient c = WsmuxTestClient.register(address, "/", "c1b", t(B, "c1b", now() + 3600, now() - 60))) {
            assertThat(c.responseHead).startsWith("HTTP/1.1 101");
        }
    }

    @Test
    void case03_unknownSecretOrGarbageIs401() throws Exception {
        String bad = t("some-other-secret-0123456789-0123456789", "c1", now() + 3600, now() - 60);
        String r = exchange(upgrade("c1", "Bearer " + bad));
        assertThat(r).startsWith("HTTP/1.1 401 ");
        assertThat(body(r)).isEqualTo("Unauthorized\n");
        assertThat(status(upgrade("c1", "Bearer abc"))).startsWith("HTTP/1.1 401");
    }

    @Test
    void case04_missingOrMisspeltBearerIs400() throws Exception {
        String tok = valid("c1");
        for (String auth : new String[] {null, "bearer " + tok, "Bearer  " + tok}) {
            String r = exchange(upgrade("c1", auth));
            assertThat(r).startsWith("HTTP/1.1 400 ");
            assertThat(body(r)).isEqualTo("Bad Request\n");
        }
    }

    @Test
    void case05_idsOutsideTheAlphabetAre400() throws Exception {
        assertThat(status(upgrade("a b", "Bearer " + valid("a b")))).startsWith("HTTP/1.1 400");
        assertThat(status(upgrade("a/b", "Bearer " + valid("a/b")))).startsWith("HTTP/1.1 400");
        try (WsmuxTestClient c = WsmuxTestClient.register(address, "/", "A-z_0.~%", valid("A-z_0.~%"))) {
            assertThat(c.responseHead).startsWith("HTTP/1.1 101");
        }
    }

    @Test
    void case06_notAnUpgradeIs404EvenWithABadToken() throws Exception {
        String plain = "GET / HTTP/1.1\r\nHost: h\r\nx-websocktunnel-id: c1\r\nAuthorization: Bearer abc\r\n\r\n";
        String r = exchange(plain);
        assertThat(r).startsWith("HTTP/1.1 404 ");
        assertThat(body(r)).isEqualTo("404 page not found\n");
    }

    @Test
    void case07_claimsTidExpNbfAreCheckedAndIatIsNot() throws Exception {
        long now = now();
        assertThat(status(upgrade("c1", "Bearer " + t(A, "c2", now + 3600, now - 60)))).startsWith("HTTP/1.1 401");
        assertThat(status(upgrade("c1", "Bearer " + t(A, "c1", now - 10, now - 60)))).startsWith("HTTP/1.1 401");
        assertThat(status(upgrade("c1", "Bearer " + t(A, "c1", now + 3600, now + 600)))).startsWith("HTTP/1.1 401");
        assertThat(status(upgrade("c1", "Bearer " + token("HS256", A, "\"tid\":\"c1\",\"nbf\":" + (now - 60)))))
                .startsWith("HTTP/1.1 401");
        assertThat(status(upgrade("c1", "Bearer " + token("HS256", A, "\"tid\":\"c1\",\"exp\":" + (now + 60)))))
                .startsWith("HTTP/1.1 401");
        String futureIat = token("HS256", A, "\"tid\":\"c7\",\"exp\":" + (now + 3600) + ",\"nbf\":" + (now - 60) + ",\"iat\":" + (now + 9999));
        try (WsmuxTestClient c = WsmuxTestClient.register(address, "/", "c7", futureIat)) {
            assertThat(c.responseHead).startsWith("HTTP/1.1 101");
        }
    }

    @Test
    void case08_otherAlgorithmsAre401() throws Exception {
        String claims = "\"tid\":\"c1\",\"exp\":" + (now() + 3600) + ",\"nbf\":" + (now() - 60);
        assertThat(status(upgrade("c1", "Bearer " + token("HS512", A, claims)))).startsWith("HTTP/1.1 401");
        // "alg none" ends in a dot, which the Bearer pattern admits.
        assertThat(status(upgrade("c1", "Bearer " + token("none", A, claims)))).startsWith("HTTP/1.1 401");
    }

    @Test
    void case09_audienceWithAudienceConfigured() throws Exception {
        String base = "\"exp\":" + (now() + 3600) + ",\"nbf\":" + (now() - 60);
        String[][] cases = {
            {"", "101"}, {",\"aud\":\"myaud\"", "101"}, {",\"aud\":\"other\"", "401"},
            {",\"aud\":[\"other\",\"myaud\"]", "101"}, {",\"aud\":[\"other\"]", "401"},
        };
        int i = 0;
        for (String[] c : cases) {
            String id = "aud" + i++;
            String r = status(upgrade(id, "Bearer " + token("HS256", A, "\"tid\":\"" + id + "\"," + base + c[0])));
            assertThat(r).as(c[0]).startsWith("HTTP/1.1 " + c[1]);
        }
    }

    @Test
    void case09_withoutAnAudienceEveryAudIsRefused() throws Exception {
        try (Gateway own = io.isthmus.core.testing.TestGateways.start(CONFIG.replace("audience = \"myaud\"", ""))) {
            String base = "\"tid\":\"c1\",\"exp\":" + (now() + 3600) + ",\"nbf\":" + (now() - 60);
            try (RawClient c = new RawClient(own.address(), 10_000)) {
                c.send(upgrade("c1", "Bearer " + token("HS256", A, base + ",\"aud\":\"x\"")));
                assertThat(c.readToEofAscii()).startsWith("HTTP/1.1 401");
            }
            WsmuxTestClient ok = WsmuxTestClient.register(own.address(), "/", "c1", token("HS256", A, base));
            assertThat(ok.responseHead).startsWith("HTTP/1.1 101");
            ok.close();
        }
    }

    @Test
    void case10_thirtyOneDaysAtMost() throws Exception {
        long nbf = now() - 60;
        long days31 = 31L * 24 * 3600;
        try (WsmuxTestClient c = WsmuxTestClient.register(address, "/", "c10", t(A, "c10", nbf + days31, nbf))) {
            assertThat(c.responseHead).startsWith("HTTP/1.1 101");
        }
        assertThat(status(upgrade("c10", "Bearer " + t(A, "c10", nbf + days31 + 1, nbf)))).startsWith("HTTP/1.1 401");
    }

    @Test
    void case11_postIs405AndAnOtherVersionIs400WithVersion13() throws Exception {
        String post = upgrade("c1", "Bearer " + valid("c1")).replaceFirst("GET", "POST");
        assertThat(status(post)).startsWith("HTTP/1.1 405");
        String v8 = exchange(upgrade("c1", "Bearer " + valid("c1")).replace("Version: 13", "Version: 8"));
        assertThat(v8).startsWith("HTTP/1.1 400").contains("\r\nSec-WebSocket-Version: 13\r\n");
    }

    @Test
    void case12_pingAtOnceAndPongsAtOnce() throws Exception {
        try (WsmuxTestClient c = register("c12")) {
            await().atMost(Duration.ofSeconds(2)).until(() -> c.pings.get() >= 1);
            c.sendFrame(0x9, new byte[] {7}, true);
            await().atMost(Duration.ofSeconds(2)).until(() -> c.pongs.get() >= 1);
        }
    }

    @Test
    void case13_aClientThatNeverPongsIsDroppedAndItsIdFreed() throws Exception {
        try (Gateway own = io.isthmus.core.testing.TestGateways.start(CONFIG + "isthmus.plugins.wstunnel.ping-interval = 500ms\n")) {
            WsmuxTestClient c = WsmuxTestClient.connect(own.address(), upgrade("c13", "Bearer " + valid("c13")));
            c.answerPings = false;
            await().atMost(Duration.ofSeconds(5)).until(() -> c.closedByServer);
            try (RawClient v = new RawClient(own.address(), 10_000)) {
                v.send("GET /c13/x HTTP/1.1\r\nHost: h\r\n\r\n");
                assertThat(v.readToEofAscii()).startsWith("HTTP/1.1 504");
            }
            c.close();
        }
    }

    @Test
    void case14_aSecondRegistrationReplacesTheFirst() throws Exception {
        WsmuxTestClient first = register("c14");
        // Let the first serve one request so the second's first stream id shows the restart.
        CompletableFuture<String> v1 = viewer("GET /c14/a HTTP/1.1\r\nHost: h\r\n\r\n");
        StringBuilder req = new StringBuilder();
        int id = first.acceptStream(4096, req);
        respond(first, id, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        assertThat(v1.get()).endsWith("ok");
        try (WsmuxTestClient second = register("c14")) {
            await().atMost(Duration.ofSeconds(5)).until(() -> first.closedByServer);
            CompletableFuture<String> v2 = viewer("GET /c14/b HTTP/1.1\r\nHost: h\r\n\r\n");
            StringBuilder r2 = new StringBuilder();
            assertThat(second.acceptStream(4096, r2)).isZero();
            respond(second, 0, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nnew");
            assertThat(v2.get()).endsWith("new");
        }
        first.close();
    }

    private static CompletableFuture<String> viewer(String request) {
        return CompletableFuture.supplyAsync(() -> {
            try (RawClient v = new RawClient(address, 20_000)) {
                v.send(request.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n"));
                return v.readToEofAscii();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static void respond(WsmuxTestClient c, int id, String response) throws IOException {
        c.sendText(DAT, id, response);
    }

    @Test
    void case15and16_aViewerRequestBecomesAStreamWithEvenIdsAndAFinAfterTheBody() throws Exception {
        try (WsmuxTestClient c = register("c15")) {
            CompletableFuture<String> v = viewer("GET /c15/some/path?a=b HTTP/1.1\r\nHost: viewer.example\r\nX-Mine: 1\r\n\r\n");
            Frame syn = c.next();
            assertThat(syn.type()).isEqualTo(SYN);
            assertThat(syn.id()).isZero();
            assertThat(syn.payload()).isEmpty();
            c.send(ACK, 0, le(4194304));
            String request = c.readUntil(0, "\r\n\r\n");
            assertThat(request).startsWith("GET /some/path?a=b HTTP/1.1\r\n")
                    .contains("Host: viewer.example\r\n", "X-Mine: 1\r\n", "X-Websocktunnel-Original-Path: /c15/some/path\r\n");
            respond(c, 0, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
            assertThat(c.nextOf(FIN, 0)).as("FIN after the body").isNotNull();
            String response = v.get();
            assertThat(response).startsWith("HTTP/1.1 200 OK").endsWith("hello");
            for (int expected : new int[] {2, 4}) {
                CompletableFuture<String> next = viewer("GET /c15/n HTTP/1.1\r\nHost: h\r\n\r\n");
                StringBuilder r = new StringBuilder();
                assertThat(c.acceptStream(4096, r)).isEqualTo(expected);
                respond(c, expected, "HTTP/1.1 204 No Content\r\n\r\n");
                assertThat(next.get()).startsWith("HTTP/1.1 204");
            }
        }
    }

    @Test
    void case17_rootAndEncodedPaths() throws Exception {
        try (WsmuxTestClient c = register("c17")) {
            CompletableFuture<String> v = viewer("GET /c17 HTTP/1.1\r\nHost: h\r\n\r\n");
            StringBuilder r = new StringBuilder();
            int id = c.acceptStream(4096, r);
            assertThat(r.toString()).startsWith("GET / HTTP/1.1\r\n");
            respond(c, id, "HTTP/1.1 204 No Content\r\n\r\n");
            v.get();
            CompletableFuture<String> v2 = viewer("GET /c17/a/b%20c?q=1&r=%2F HTTP/1.1\r\nHost: h\r\n\r\n");
            StringBuilder r2 = new StringBuilder();
            int id2 = c.acceptStream(4096, r2);
            assertThat(r2.toString()).startsWith("GET /a/b%20c?q=1&r=%2F HTTP/1.1\r\n")
                    .contains("X-Websocktunnel-Original-Path: /c17/a/b c\r\n");
            respond(c, id2, "HTTP/1.1 204 No Content\r\n\r\n");
            v2.get();
        }
    }

    @Test
    void case18_unknownIdNoIdAndHeartbeats() throws Exception {
        String r = exchange("GET /nobody/x HTTP/1.1\r\nHost: h\r\n\r\n");
        assertThat(r).startsWith("HTTP/1.1 504 ");
        assertThat(body(r)).isEqualTo("No client is connected with that id\n");
        assertThat(status("GET / HTTP/1.1\r\nHost: h\r\n\r\n")).startsWith("HTTP/1.1 404");
        String hb = exchange("GET /__lbheartbeat__ HTTP/1.1\r\nHost: h\r\n\r\n");
        assertThat(hb).startsWith("HTTP/1.1 200").endsWith("\r\n\r\n");
        assertThat(status("GET /__heartbeat__ HTTP/1.1\r\nHost: h\r\n\r\n")).startsWith("HTTP/1.1 200");
    }

    @Test
    void case19_aQueryRightAfterTheIdReachesTheClient() throws Exception {
        try (WsmuxTestClient c = register("c19")) {
            CompletableFuture<String> v = viewer("GET /c19?x=1 HTTP/1.1\r\nHost: h\r\n\r\n");
            StringBuilder r = new StringBuilder();
            int id = c.acceptStream(4096, r);
            assertThat(r.toString()).startsWith("GET /?x=1 HTTP/1.1\r\n");
            respond(c, id, "HTTP/1.1 204 No Content\r\n\r\n");
            assertThat(v.get()).startsWith("HTTP/1.1 204");
        }
    }

    @Test
    void case20_anUnacknowledgedSynGives500AfterTheOpenTimeout() throws Exception {
        try (WsmuxTestClient c = register("c20")) {
            long start = System.nanoTime();
            String r = viewer("GET /c20/x HTTP/1.1\r\nHost: h\r\n\r\n").get();
            assertThat(r).startsWith("HTTP/1.1 500");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(900));
            assertThat(c.next().type()).isEqualTo(SYN);
        }
    }

    @Test
    void case21_aFinWithoutDataGives500Promptly() throws Exception {
        try (WsmuxTestClient c = register("c21")) {
            CompletableFuture<String> v = viewer("GET /c21/x HTTP/1.1\r\nHost: h\r\n\r\n");
            Frame syn = c.next();
            c.send(ACK, syn.id(), le(4096));
            c.send(FIN, syn.id());
            long start = System.nanoTime();
            assertThat(v.get()).startsWith("HTTP/1.1 500");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
        }
    }

    @Test
    void case22_neverMoreThanTheClientsCredit() throws Exception {
        try (WsmuxTestClient c = register("c22")) {
            byte[] body = new byte[3000];
            new Random(22).nextBytes(body);
            CompletableFuture<String> v = CompletableFuture.supplyAsync(() -> {
                try (RawClient raw = new RawClient(address, 20_000)) {
                    raw.send("POST /c22/up HTTP/1.1\r\nHost: h\r\nContent-Length: 3000\r\nConnection: close\r\n\r\n");
                    raw.send(body);
                    return raw.readToEofAscii();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            Frame syn = c.next();
            c.send(ACK, syn.id(), le(1024));
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            long credit = 1024;
            int headEnd = -1;
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while ((headEnd < 0 || got.size() - headEnd < 3000) && System.nanoTime() < deadline) {
                Frame f = c.next(200);
                if (f == null) {
                    // Out of credit: the server must wait; grant more.
                    c.send(ACK, syn.id(), le(1024));
                    credit += 1024;
                    continue;
                }
                assertThat(f.type()).isEqualTo(DAT);
                assertThat((long) f.payload().length).isLessThanOrEqualTo(credit);
                credit -= f.payload().length;
                got.write(f.payload());
                String s = got.toString(StandardCharsets.ISO_8859_1);
                headEnd = s.indexOf("\r\n\r\n") < 0 ? -1 : s.indexOf("\r\n\r\n") + 4;
            }
            byte[] all = got.toByteArray();
            assertThat(Arrays.copyOfRange(all, headEnd, all.length)).isEqualTo(body);
            respond(c, syn.id(), "HTTP/1.1 204 No Content\r\n\r\n");
            assertThat(v.get()).startsWith("HTTP/1.1 204");
        }
    }

    @Test
    void case23and24_aLargeResponseInFragmentedMessagesArrivesWholeAndIsAcknowledged() throws Exception {
        try (WsmuxTestClient c = register("c23")) {
            byte[] file = new byte[400_000];
            new Random(23).nextBytes(file);
            CompletableFuture<byte[]> v = CompletableFuture.supplyAsync(() -> {
                try (RawClient raw = new RawClient(address, 20_000)) {
                    raw.send("GET /c23/file HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
                    return raw.readToEof();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            StringBuilder r = new StringBuilder();
            int id = c.acceptStream(4 << 20, r);
            byte[] head = ("HTTP/1.1 200 OK\r\nContent-Length: " + file.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
            c.send(DAT, id, head);
            for (int off = 0; off < file.length; off += 32768) {
                byte[] part = Arrays.copyOfRange(file, off, Math.min(file.length, off + 32768));
                // The current Go client: 32 KiB + 5 as continuation frames of at most 4096 bytes (9 of them).
                c.sendFragmented(DAT, id, part, 4096);
            }
            byte[] got = v.get();
            assertThat(Arrays.copyOfRange(got, got.length - file.length, got.length)).isEqualTo(file);
            long acked = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (acked < file.length + head.length && System.nanoTime() < deadline) {
                Frame f = c.next(200);
                if (f != null && f.type() == ACK && f.id() == id) {
                    acked += f.ackValue();
                }
            }
            assertThat(acked).isEqualTo(file.length + head.length);
        }
    }

    @Test
    void case25_streamedLinesArrivePromptly() throws Exception {
        try (WsmuxTestClient c = register("c25"); RawClient v = new RawClient(address, 10_000)) {
            v.send("GET /c25/log HTTP/1.1\r\nHost: h\r\n\r\n");
            StringBuilder r = new StringBuilder();
            int id = c.acceptStream(4 << 20, r);
            respond(c, id, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
            v.readHead();
            for (int i = 0; i < 4; i++) {
                String line = "line " + i + "\n";
                long sent = System.nanoTime();
                respond(c, id, Integer.toHexString(line.length()) + "\r\n" + line + "\r\n");
                byte[] got = v.readExactly(line.length() + 5 + Integer.toHexString(line.length()).length() - 1);
                assertThat(new String(got, StandardCharsets.ISO_8859_1)).contains(line);
                assertThat(Duration.ofNanos(System.nanoTime() - sent)).isLessThan(Duration.ofMillis(100));
            }
            respond(c, id, "0\r\n\r\n");
            assertThat(c.nextOf(FIN, id)).isNotNull();
        }
    }

    @Test
    void case26_headAndABodyDelimitedByTheStreamsEnd() throws Exception {
        try (WsmuxTestClient c = register("c26")) {
            try (RawClient v = new RawClient(address, 10_000)) {
                v.send("HEAD /c26/x HTTP/1.1\r\nHost: h\r\n\r\n");
                StringBuilder r = new StringBuilder();
                int id = c.acceptStream(4096, r);
                assertThat(r.toString()).startsWith("HEAD /x HTTP/1.1\r\n");
                respond(c, id, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
                assertThat(v.readHead()).contains("Content-Length: 1000");
                assertThat(c.nextOf(FIN, id)).as("FIN without waiting for a body").isNotNull();
                // The connection carries the next request.
                v.send("GET /c26/close HTTP/1.1\r\nHost: h\r\n\r\n");
                StringBuilder r2 = new StringBuilder();
                int id2 = c.acceptStream(4096, r2);
                respond(c, id2, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end");
                c.send(FIN, id2);
                assertThat(v.readToEofAscii()).startsWith("HTTP/1.1 200 OK").endsWith("until the end");
            }
        }
    }

    @Test
    void case27_aViewerWebSocketIsSplicedByteForByte() throws Exception {
        try (WsmuxTestClient c = register("c27"); RawClient v = new RawClient(address, 10_000)) {
            v.send("GET /c27/wspath?z=1 HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                    + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + "Sec-WebSocket-Protocol: proto-a, proto-b\r\n\r\n");
            StringBuilder r = new StringBuilder();
            int id = c.acceptStream(4 << 20, r);
            assertThat(r.toString()).startsWith("GET /wspath?z=1 HTTP/1.1\r\n")
                    .contains("Sec-WebSocket-Protocol: proto-a, proto-b\r\n", "X-Websocktunnel-Original-Path: /c27/wspath\r\n");
            String backend101 = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: proto-b\r\n\r\n";
            respond(c, id, backend101);
            assertThat(v.readHead()).isEqualTo(backend101);
            byte[] frameBytes = new byte[200_010];
            new Random(27).nextBytes(frameBytes);
            v.send(frameBytes);
            ByteArrayOutputStream toClient = new ByteArrayOutputStream();
            while (toClient.size() < frameBytes.length) {
                Frame f = c.next();
                assertThat(f).isNotNull();
                if (f.type() == DAT && f.id() == id) {
                    toClient.write(f.payload());
                    c.send(ACK, id, le(f.payload().length));
                }
            }
            assertThat(toClient.toByteArray()).isEqualTo(frameBytes);
            for (int off = 0; off < frameBytes.length; off += 30_000) {
                c.send(DAT, id, Arrays.copyOfRange(frameBytes, off, Math.min(frameBytes.length, off + 30_000)));
            }
            assertThat(v.readExactly(frameBytes.length)).isEqualTo(frameBytes);
            c.send(FIN, id);
            assertThat(v.readToEof()).isEmpty();
        }
    }

    @Test
    void case28_aBackendThatDoesNotSwitchIsRelayedAsItAnswered() throws Exception {
        try (WsmuxTestClient c = register("c28"); RawClient v = new RawClient(address, 10_000)) {
            v.send("GET /c28/ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                    + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
            StringBuilder r = new StringBuilder();
            int id = c.acceptStream(4096, r);
            respond(c, id, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno");
            assertThat(v.readHead()).startsWith("HTTP/1.1 200 OK");
            assertThat(new String(v.readExactly(2), StandardCharsets.US_ASCII)).isEqualTo("no");
            assertThat(c.nextOf(FIN, id)).isNotNull();
        }
    }

    @Test
    void case29_malformedFramesCloseWith1008AndSparOtherSessions() throws Exception {
        try (WsmuxTestClient good = register("c29good")) {
            for (int variant = 0; variant < 5; variant++) {
                WsmuxTestClient bad = register("c29bad" + variant);
                switch (variant) {
                    case 0 -> bad.sendFrame(0x1, "text".getBytes(StandardCharsets.US_ASCII), true);
                    case 1 -> bad.sendFrame(0x2, new byte[] {0, 1}, true);
                    case 2 -> bad.send(7, 0);
                    case 3 -> bad.send(ACK, 0, new byte[] {1, 2});
                    default -> bad.send(SYN, 1, new byte[] {9});
                }
                Frame close = bad.nextOf(-1, 1008);
                assertThat(close).as("variant " + variant).isNotNull();
                await().atMost(Duration.ofSeconds(5)).until(() -> bad.closedByServer);
                bad.close();
            }
            // Frames for unknown ids are ignored; a client SYN is refused with a FIN.
            good.send(DAT, 77, new byte[] {1});
            good.send(FIN, 79);
            good.send(SYN, 81);
            assertThat(good.nextOf(FIN, 81)).isNotNull();
            CompletableFuture<String> v = viewer("GET /c29good/x HTTP/1.1\r\nHost: h\r\n\r\n");
            StringBuilder r = new StringBuilder();
            int id = good.acceptStream(4096, r);
            respond(good, id, "HTTP/1.1 204 No Content\r\n\r\n");
            assertThat(v.get()).startsWith("HTTP/1.1 204");
        }
    }

    @Test
    void case30_aSessionOutlivesItsToken() throws Exception {
        long now = now();
        WsmuxTestClient c = WsmuxTestClient.register(address, "/", "c30", t(A, "c30", now + 2, now - 60));
        assertThat(c.responseHead).startsWith("HTTP/1.1 101");
        await().atMost(Duration.ofSeconds(5)).until(() -> now() > now + 2);
        CompletableFuture<String> v = viewer("GET /c30/x HTTP/1.1\r\nHost: h\r\n\r\n");
        StringBuilder r = new StringBuilder();
        int id = c.acceptStream(4096, r);
        respond(c, id, "HTTP/1.1 204 No Content\r\n\r\n");
        assertThat(v.get()).startsWith("HTTP/1.1 204");
        c.close();
    }
}
