package io.isthmus.core.frontdoor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.ProbePairing;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * PROXY protocol v1 and v2 on the public port, over real loopback sockets: believed only from the
 * configured sources, before anything else is read; the announced address is the client for plugins and
 * for the per-IP cap.
 */
class ProxyProtocolTest {

    static Gateway trusting;
    static Gateway wary;

    @BeforeAll
    static void start() {
        trusting = TestGateways.start("""
                isthmus.client-address.proxy-protocol-sources = ["127.0.0.1/32"]
                isthmus.limits.max-connections-per-ip = 1
                """);
        wary = TestGateways.start("isthmus.client-address.proxy-protocol-sources = [\"10.0.0.0/8\"]");
    }

    @AfterAll
    static void stop() {
        trusting.close();
        wary.close();
    }

    static double rejections(Gateway g, String reason) {
        var c = g.metrics().registry().find("isthmus.rejections").tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    static final String INFO = "GET /info/ HTTP/1.1\r\nHost: x\r\n\r\n";

    /** A v2 header for a TCP client (IPv4 or IPv6 source and destination) or, with {@code local}, a LOCAL command. */
    static byte[] v2(String source, int sourcePort, String destination, int destinationPort, boolean local) throws IOException {
        byte[] src = InetAddress.getByName(source).getAddress();
        byte[] dst = InetAddress.getByName(destination).getAddress();
        boolean v6 = src.length == 16;
        ByteBuffer b = ByteBuffer.allocate(16 + 2 * src.length + 4);
        b.put(new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A});
        b.put((byte) (local ? 0x20 : 0x21));
        b.put((byte) (v6 ? 0x21 : 0x11));
        b.putShort((short) (2 * src.length + 4));
        b.put(src).put(dst).putShort((short) sourcePort).putShort((short) destinationPort);
        return b.array();
    }

    static byte[] concat(byte[] a, String ascii) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(a);
        out.writeBytes(ascii.getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    @Test
    void v1HeaderNamesTheClient() throws IOException {
        try (RawClient c = new RawClient(trusting.address())) {
            c.send("PROXY TCP4 203.0.113.9 127.0.0.1 5555 80\r\n" + INFO);
            assertThat(c.readToEofAscii()).startsWith("HTTP/1.1 200 ").contains("client=203.0.113.9:5555 ");
        }
    }

    @Test
    void v2HeaderNamesAnIpv6ClientEvenWhenSentByteByByte() throws IOException {
        byte[] all = concat(v2("2001:db8::42", 4242, "::1", 80, false), INFO);
        try (RawClient c = new RawClient(trusting.address())) {
            for (byte b : all) {
                c.send(new byte[] {b});
            }
            assertThat(c.readToEofAscii()).startsWith("HTTP/1.1 200 ").contains("client=2001:db8:0:0:0:0:0:42:4242 ");
        }
    }

    @Test
    void aLocalCommandLeavesTheBalancerAsTheClient() throws IOException {
        try (RawClient c = new RawClient(trusting.address())) {
            c.send(concat(v2("203.0.113.1", 1, "127.0.0.1", 80, true), INFO));
            assertThat(c.readToEofAscii()).startsWith("HTTP/1.1 200 ").contains("client=127.0.0.1:" + c.socket().getLocalPort() + " ");
        }
    }

    @Test
    void aSourceThatMustSendAHeaderAndDoesNotIsClosed() throws IOException {
        double before = rejections(trusting, "proxy_protocol_missing");
        try (RawClient c = new RawClient(trusting.address())) {
            c.send(INFO);
            assertThat(c.readToEof()).isEmpty();
        }
        assertThat(rejections(trusting, "proxy_protocol_missing")).isEqualTo(before + 1);
    }

    @Test
    void aMalformedHeaderIsClosedAndCounted() throws IOException {
        double before = rejections(trusting, "proxy_protocol_invalid");
        try (RawClient c = new RawClient(trusting.address())) {
            c.send("PROXY TCP4 not-an-address 127.0.0.1 5555 80\r\n" + INFO);
            assertThat(c.readToEof()).isEmpty();
        }
        try (RawClient c = new RawClient(trusting.address())) {
            c.send("PROXY TCP4 " + "9".repeat(200) + "\r\n" + INFO);
            assertThat(c.readToEof()).isEmpty();
        }
        // Netty's decoder closes the connection before it reports the error: the count may come just after the close.
        await().atMost(Duration.ofSeconds(5)).until(() -> rejections(trusting, "proxy_protocol_invalid") == before + 2);
    }

    @Test
    void aHeaderFromAnyoneElseIsRefusedWhilePlainClientsAreServed() throws IOException {
        double before = rejections(wary, "proxy_protocol_untrusted");
        try (RawClient c = new RawClient(wary.address())) {
            c.send("PROXY TCP4 203.0.113.9 127.0.0.1 5555 80\r\n" + INFO);
            assertThat(c.readToEof()).isEmpty();
        }
        try (RawClient c = new RawClient(wary.address())) {
            c.send(concat(v2("203.0.113.9", 5555, "127.0.0.1", 80, false), INFO));
            assertThat(c.readToEof()).isEmpty();
        }
        assertThat(rejections(wary, "proxy_protocol_untrusted")).isEqualTo(before + 2);
        try (RawClient c = new RawClient(wary.address())) {
            c.send(INFO);
            assertThat(c.readToEofAscii()).startsWith("HTTP/1.1 200 ").contains("client=127.0.0.1:" + c.socket().getLocalPort() + " ");
        }
    }

    @Test
    void thePerIpCapCountsTheAnnouncedClient() throws IOException {
        double before = rejections(trusting, "connection_limit_per_ip");
        String wait = "GET /pair/proxy-cap HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: probe-pair\r\n\r\n";
        try (RawClient first = new RawClient(trusting.address())) {
            first.send("PROXY TCP4 198.51.100.1 127.0.0.1 1000 80\r\n" + wait);
            await().atMost(Duration.ofSeconds(10)).until(() -> ProbePairing.heldFor("/pair/proxy-cap") >= 0);
            // The same announced client again: over its cap of 1, closed before its head is read.
            try (RawClient second = new RawClient(trusting.address())) {
                second.send("PROXY TCP4 198.51.100.1 127.0.0.1 1001 80\r\n" + INFO);
                assertThat(second.readToEof()).isEmpty();
            }
            assertThat(rejections(trusting, "connection_limit_per_ip")).isEqualTo(before + 1);
            // Another client through the same balancer is served.
            try (RawClient other = new RawClient(trusting.address())) {
                other.send("PROXY TCP4 198.51.100.2 127.0.0.1 1002 80\r\n" + INFO);
                assertThat(other.readToEofAscii()).startsWith("HTTP/1.1 200 ").contains("client=198.51.100.2:1002 ");
            }
            first.reset();
        }
        // Its connection closed, the first client is served again.
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
            try (RawClient again = new RawClient(trusting.address())) {
                again.send("PROXY TCP4 198.51.100.1 127.0.0.1 1003 80\r\n" + INFO);
                return again.readToEofAscii().startsWith("HTTP/1.1 200 ");
            }
        });
    }

    /** The header comes before the TLS ClientHello: it is read first, then TLS is sniffed as usual. */
    @Test
    void theHeaderIsReadBeforeTls(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path cert = dir.resolve("cert.pem");
        java.nio.file.Path key = dir.resolve("key.pem");
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
                "-keyout", key.toString(), "-out", cert.toString()).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("openssl must be installed").isZero();
        var x509 = (java.security.cert.X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                .generateCertificate(java.nio.file.Files.newInputStream(cert));
        var trust = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
        trust.load(null, null);
        trust.setCertificateEntry("isthmus", x509);
        var tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        var tls = javax.net.ssl.SSLContext.getInstance("TLS");
        tls.init(null, tmf.getTrustManagers(), null);
        try (Gateway g = TestGateways.start("""
                isthmus.client-address.proxy-protocol-sources = ["127.0.0.1/32"]
                isthmus.tls { enabled = true, certificate = "%s", key = "%s" }
                """.formatted(cert, key));
             java.net.Socket plain = new java.net.Socket("127.0.0.1", g.address().getPort())) {
            plain.setSoTimeout(10_000);
            plain.getOutputStream().write(v2("192.0.2.77", 7777, "127.0.0.1", 443, false));
            try (var s = (javax.net.ssl.SSLSocket) tls.getSocketFactory().createSocket(plain, "127.0.0.1", g.address().getPort(), true)) {
                s.startHandshake();
                s.getOutputStream().write(INFO.getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                assertThat(new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1))
                        .startsWith("HTTP/1.1 200 ").contains("client=192.0.2.77:7777 ");
            }
        }
    }

    /** The access log names the client the PROXY header announced, not the balancer. */
    @Test
    void theAccessLogShowsTheAnnouncedClient() throws Exception {
        var logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("isthmus.access");
        var lines = new ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent>();
        lines.start();
        logger.addAppender(lines);
        ch.qos.logback.classic.Level level = logger.getLevel();
        String pair = "GET /pair/proxy-access-log HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: probe-pair\r\n\r\n";
        try (Gateway g = TestGateways.start("""
                isthmus.client-address.proxy-protocol-sources = ["127.0.0.1/32"]
                isthmus.logging.access-log = true
                """)) {
            logger.setLevel(ch.qos.logback.classic.Level.INFO); // the test config keeps the access log quiet
            try (RawClient a = new RawClient(g.address()); RawClient b = new RawClient(g.address())) {
                a.send("PROXY TCP4 192.0.2.10 127.0.0.1 1010 80\r\n" + pair);
                await().atMost(Duration.ofSeconds(10)).until(() -> ProbePairing.heldFor("/pair/proxy-access-log") >= 0);
                b.send("PROXY TCP4 192.0.2.11 127.0.0.1 1011 80\r\n" + pair);
                assertThat(a.readHead()).startsWith("HTTP/1.1 101 ");
                assertThat(b.readHead()).startsWith("HTTP/1.1 101 ");
                a.send("x");
                assertThat(b.readExactly(1)).isEqualTo(new byte[] {'x'});
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> lines.list.stream()
                    .anyMatch(e -> e.getFormattedMessage().contains("protocol=probe ")));
            assertThat(lines.list.stream().map(e -> e.getFormattedMessage()).filter(m -> m.contains("protocol=probe ")).findFirst())
                    .hasValueSatisfying(m -> assertThat(m).contains(" client=192.0.2.10 ").doesNotContain("127.0.0.1"));
        } finally {
            logger.detachAppender(lines);
            logger.setLevel(level);
        }
    }
}
