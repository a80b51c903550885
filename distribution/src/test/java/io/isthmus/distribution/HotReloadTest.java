package io.isthmus.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.isthmus.core.Gateway;
import io.isthmus.core.config.ConfigLoader;
import io.isthmus.core.reload.ConfigReloader;
import io.isthmus.core.reload.HangupSignal;
import io.isthmus.core.testing.LeakGuard;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.WsFrames;
import io.isthmus.wstunnel.TunnelTokens;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Hot reload of every reloadable part on a gateway started from a file: Remoted keys, websocktunnel
 * secrets, the websockify token file and the TLS certificate change without a restart; links made before
 * the reload carry on; a bad config is refused with one ERROR line and the old one stays in force.
 */
@ExtendWith(LeakGuard.class)
class HotReloadTest {

    private static final String S1 = "serverKeyOne00000000000000000000000000000000";
    private static final String S2 = "serverKeyTwo00000000000000000000000000000000";
    private static final String C1 = "clientKeyOne00000000000000000000000000000000";
    private static final String C2 = "clientKeyTwo00000000000000000000000000000000";
    private static final String W1 = "wstunnel-secret-number-one-at-least-32-bytes";
    private static final String W2 = "wstunnel-secret-number-two-at-least-32-bytes";

    @TempDir
    Path dir;
    private Path file;
    private Path tokens;
    private final List<AutoCloseable> open = new ArrayList<>();
    private Gateway gateway;
    private ServerSocket echo;
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();

    @BeforeEach
    void setUp() throws Exception {
        file = dir.resolve("isthmus.conf");
        tokens = dir.resolve("tokens.txt");
        certificate("one");
        certificate("two");
        echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::echoLoop, "echo");
        t.setDaemon(true);
        t.start();
        log.start();
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(ConfigReloader.class)).addAppender(log);
    }

    @AfterEach
    void tearDown() throws Exception {
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(ConfigReloader.class)).detachAppender(log);
        for (AutoCloseable c : open) {
            c.close();
        }
        if (gateway != null) {
            gateway.close();
        }
        echo.close();
    }

    private void echoLoop() {
        for (int i = 0; i < 50; i++) {
            try {
                Socket s = echo.accept();
                Thread t = new Thread(() -> {
                    try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                        in.transferTo(out);
                    } catch (IOException ignored) {
                        // The test closed it.
                    }
                });
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    /** A self-signed EC certificate whose CN is {@code name}, as PEM files name.crt and name.key. */
    private void certificate(String name) throws Exception {
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-days", "2", "-subj", "/CN=" + name,
                "-keyout", dir.resolve(name + ".key").toString(), "-out", dir.resolve(name + ".crt").toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
    }

    private void write(String serverKey, String clientKey, String wstSecret, String cert, String tokenLine, String extra)
            throws IOException {
        Files.writeString(tokens, "# websockify tokens\n" + tokenLine + ": 127.0.0.1:" + echo.getLocalPort() + "\n");
        Files.writeString(file, """
                isthmus.listen = "127.0.0.1:0"
                isthmus.admin.listen = "127.0.0.1:0"
                isthmus.logging.access-log = false
                isthmus.egress.allow-cidrs = ["127.0.0.0/8"]
                isthmus.tls { enabled = true, certificate = "%s", key = "%s" }
                isthmus.plugins.remoted { server-keys = ["%s"], client-keys = ["%s"] }
                isthmus.plugins.wstunnel.secrets = ["%s"]
                isthmus.plugins.rawsocket.tokens.file = "%s"
                """.formatted(dir.resolve(cert + ".crt"), dir.resolve(cert + ".key"), serverKey, clientKey, wstSecret, tokens)
                + extra);
    }

    private Gateway start() throws InterruptedException {
        gateway = Gateway.start(ConfigLoader.load(file));
        gateway.enableReload(() -> ConfigLoader.load(file), file);
        return gateway;
    }

    private RawClient client() throws IOException {
        RawClient c = new RawClient(gateway.address(), 10_000);
        open.add(c);
        return c;
    }

    private static String webSocket(String target, String extraHeaders) {
        return WsFrames.upgradeRequest(target, "127.0.0.1", extraHeaders);
    }

    private String remotedRegistration(String path, String key) {
        return webSocket(path, "X-Remoted-APIKey: " + key + "\r\nOrigin: http://127.0.0.1\r\n");
    }

    private static String remotedClient(String path, String id, String key) {
        return "GET " + path + " HTTP/1.1\r\nHost: gateway\r\nConnection: Upgrade\r\nUpgrade: webroute\r\n"
                + "WebRoute-Version: 1\r\nWebRoute-ID: " + id + "\r\nX-Remoted-APIKey: " + key + "\r\n\r\n";
    }

    private static String wstRegistration(String id, String secret) {
        String token = TunnelTokens.mint(secret, id, Duration.ofHours(1), "", Clock.systemUTC());
        return webSocket("/wst/", "x-websocktunnel-id: " + id + "\r\nAuthorization: Bearer " + token + "\r\n");
    }

    /** The status line a fresh connection gets for {@code request}. */
    private String status(String request) throws IOException {
        RawClient c = client();
        c.send(request);
        String head = c.readHead();
        return head.substring(0, head.indexOf("\r\n"));
    }

    /** Through websockify with {@code ?token=}: true if the token's target echoes, false if the socket is closed. */
    private boolean tokenWorks(String token) throws IOException {
        RawClient c = client();
        c.send(webSocket("/sockets/websockify?token=" + token, "Sec-WebSocket-Protocol: binary\r\n"));
        assertThat(c.readHead()).startsWith("HTTP/1.1 101 ");
        DataInputStream in = new DataInputStream(c.in());
        c.send(WsFrames.frame(WsFrames.BINARY, "hello".getBytes(StandardCharsets.US_ASCII), true));
        WsFrames.Frame f = WsFrames.readData(in);
        if (f.opcode() == WsFrames.CLOSE) {
            return false;
        }
        return new String(f.payload(), StandardCharsets.US_ASCII).equals("hello");
    }

    private SSLSocket tls() throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[] {new X509TrustManager() {
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(gateway.address().getAddress(), gateway.address().getPort());
        s.setSoTimeout(10_000);
        open.add(s);
        s.startHandshake();
        return s;
    }

    private static String subject(SSLSocket s) throws Exception {
        return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
    }

    private double reloads(String result) {
        return gateway.metrics().registry().get("isthmus.config.reloads").tag("result", result).counter().count();
    }

    @Test
    void keysSecretsTokenFileAndCertificateChangeWhileLiveLinksCarryOn() throws Exception {
        write(S1, C1, W1, "one", "old", "");
        start();
        // Live before the reload: a Remoted registration with S1, a websocktunnel client with W1, a TLS
        // connection in the middle of a request, and a websockify bridge through the old token.
        RawClient registered = client();
        registered.send(remotedRegistration("/svc/", S1));
        assertThat(registered.readHead()).startsWith("HTTP/1.1 101 ");
        assertThat(status(wstRegistration("c1", W1))).startsWith("HTTP/1.1 101 ");
        SSLSocket before = tls();
        assertThat(subject(before)).isEqualTo("CN=one");
        before.getOutputStream().write("GET /bare/ HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(tokenWorks("old")).isTrue();
        assertThat(tokenWorks("new")).isFalse();

        write(S2, C2, W2, "two", "new", "");
        assertThat(gateway.reloader().reload("test")).isTrue();
        assertThat(reloads("ok")).isEqualTo(1);
        assertThat(log.list).noneMatch(e -> e.getLevel() == Level.WARN);

        // Remoted: the old keys are refused, the new ones accepted; the registration made with S1 still
        // serves, and announces a client who came with the new client key.
        assertThat(status(remotedRegistration("/svc2/", S1))).startsWith("HTTP/1.1 403 ");
        assertThat(status(remotedRegistration("/svc3/", S2))).startsWith("HTTP/1.1 101 ");
        assertThat(status(remotedClient("/svc/", "id-1", C1))).startsWith("HTTP/1.1 403 ");
        client().send(remotedClient("/svc/", "id-2", C2));
        WsFrames.Frame announced = WsFrames.readData(new DataInputStream(registered.in()));
        assertThat(new String(announced.payload(), StandardCharsets.UTF_8)).contains("\"id\":\"id-2\"");
        // websocktunnel: tokens signed with the old secret are refused, the new secret's accepted.
        assertThat(status(wstRegistration("c2", W1))).startsWith("HTTP/1.1 401 ");
        assertThat(status(wstRegistration("c3", W2))).startsWith("HTTP/1.1 101 ");
        // TLS: a new handshake sees the new certificate; the connection made before finishes its request.
        assertThat(subject(tls())).isEqualTo("CN=two");
        before.getOutputStream().write("Host: gateway\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(new String(before.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 200 ");
        // websockify: the token file's new entry works, the removed one does not.
        assertThat(tokenWorks("new")).isTrue();
        assertThat(tokenWorks("old")).isFalse();
    }

    @Test
    void aBadConfigIsRefusedWithOneErrorLineAndTheOldOneStays() throws Exception {
        write(S1, C1, W1, "one", "old", "");
        start();
        // A websocktunnel secret under 32 bytes, beside a new Remoted key: nothing of it applies.
        write(S2, C1, "too-short", "one", "old", "");
        assertThat(gateway.reloader().reload("test")).isFalse();
        assertThat(status(remotedRegistration("/a/", S1))).startsWith("HTTP/1.1 101 ");
        assertThat(status(remotedRegistration("/b/", S2))).startsWith("HTTP/1.1 403 ");
        // A certificate file that is not one (a half-written renewal): the old certificate stays.
        write(S1, C1, W1, "one", "old", "");
        Files.writeString(dir.resolve("one.crt"), "-----BEGIN CERTIFICATE-----\nnot yet\n");
        assertThat(gateway.reloader().reload("test")).isFalse();
        assertThat(subject(tls())).isEqualTo("CN=one");
        // Not HOCON at all.
        Files.writeString(file, "isthmus { listen = ");
        assertThat(gateway.reloader().reload("test")).isFalse();
        assertThat(reloads("failed")).isEqualTo(3);
        assertThat(reloads("ok")).isZero();
        List<ILoggingEvent> errors = log.list.stream().filter(e -> e.getLevel() == Level.ERROR).toList();
        assertThat(errors).hasSize(3);
        assertThat(errors.get(0).getFormattedMessage())
                .contains("refused, the previous config stays in force").contains("isthmus.plugins.wstunnel.secrets")
                .doesNotContain("too-short");
        assertThat(errors.get(1).getFormattedMessage()).contains("tls certificate");
        assertThat(gateway.metrics().scrape()).contains("isthmus_config_reloads_total{result=\"failed\"} 3.0");
    }

    private String jwt(String secret) throws Exception {
        com.nimbusds.jwt.SignedJWT jwt = new com.nimbusds.jwt.SignedJWT(
                new com.nimbusds.jose.JWSHeader(com.nimbusds.jose.JWSAlgorithm.HS256),
                new com.nimbusds.jwt.JWTClaimsSet.Builder().claim("host", "127.0.0.1").claim("port", echo.getLocalPort()).build());
        jwt.sign(new com.nimbusds.jose.crypto.MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
        return jwt.serialize();
    }

    @Test
    void signedTokenKeysReload() throws Exception {
        String k1 = "rawsocket-jwt-secret-one-at-least-32-bytes!!";
        String k2 = "rawsocket-jwt-secret-two-at-least-32-bytes!!";
        write(S1, C1, W1, "one", "old", "isthmus.plugins.rawsocket.tokens.jwt { enabled = true, hs256-secret = \"" + k1 + "\" }\n");
        start();
        assertThat(tokenWorks(jwt(k1))).isTrue();
        assertThat(tokenWorks(jwt(k2))).isFalse();
        write(S1, C1, W1, "one", "old", "isthmus.plugins.rawsocket.tokens.jwt { enabled = true, hs256-secret = \"" + k2 + "\" }\n"
                + "isthmus.limits.max-headers = 90\n");
        assertThat(gateway.reloader().reload("test")).isTrue();
        assertThat(tokenWorks(jwt(k2))).isTrue();
        assertThat(tokenWorks(jwt(k1))).isFalse();
        // A key no part reloads is named (never its value) as needing a restart; the reloaded ones are not.
        List<String> warnings = log.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage).toList();
        assertThat(warnings).singleElement().asString()
                .contains("[isthmus.limits.max-headers]").contains("next restart").doesNotContain("hs256").doesNotContain("90");
    }

    @Test
    void theWatcherReloadsWhenTheFileChanges() throws Exception {
        String watch = "isthmus.reload { watch = true, watch-interval = 100ms }\n";
        write(S1, C1, W1, "one", "old", watch);
        start();
        write(S2, C1, W1, "one", "old", watch + "# changed\n");
        await().atMost(Duration.ofSeconds(10)).until(() -> reloads("ok") >= 1);
        assertThat(status(remotedRegistration("/b/", S2))).startsWith("HTTP/1.1 101 ");
        // The token file is watched too.
        Files.writeString(tokens, "renamed: 127.0.0.1:" + echo.getLocalPort() + "\n# longer than before\n");
        await().atMost(Duration.ofSeconds(10)).until(() -> reloads("ok") >= 2);
        assertThat(tokenWorks("renamed")).isTrue();
    }

    @Test
    void sighupRunsTheReloadInsteadOfStoppingTheJvm() throws Exception {
        CountDownLatch hangups = new CountDownLatch(1);
        // Without the handler a HUP would end this JVM: only send one once it is installed.
        assertThat(HangupSignal.install(hangups::countDown)).isTrue();
        Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(ProcessHandle.current().pid())).start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(hangups.await(10, TimeUnit.SECONDS)).isTrue();
    }
}
