package io.isthmus.bare;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.isthmus.core.Gateway;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS origins: SNI carries the URL's host name, the certificate is verified against the configured CA
 * file (or the JDK's trust store) and must name the host. The certificate is made with the openssl CLI.
 */
class BareTlsTest {

    @TempDir
    static Path dir;
    static Path cert;
    static TestOrigin origin;

    @BeforeAll
    static void start() throws Exception {
        cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                "-keyout", key.toString(), "-out", cert.toString()).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("openssl must be installed").isZero();
        origin = new TestOrigin(SslContextBuilder.forServer(cert.toFile(), key.toFile()).sslProvider(SslProvider.JDK).build());
    }

    @AfterAll
    static void stop() {
        origin.close();
    }

    private Wire.Response get(Gateway gateway, String host) throws Exception {
        try (RawClient c = new RawClient(gateway.address())) {
            c.send(Wire.head("GET", "/bare/v3/", "X-Bare-URL: https://" + host + ":" + origin.port() + "/echo",
                    "X-Bare-Headers: {\"Host\":\"" + host + "\"}"));
            return Wire.read(c, false);
        }
    }

    private static String config(boolean trusted) {
        return "isthmus.plugins.bare { egress { allow-cidrs = [\"127.0.0.0/8\"], allow-hosts = [\"localhost\"] }\n"
                + (trusted ? "upstream.trust-certificates = \"" + cert + "\"\n" : "") + "}";
    }

    @Test
    void trustedCertificateForTheNamedHost() throws Exception {
        try (Gateway gateway = TestGateways.start(config(true))) {
            Wire.Response r = get(gateway, "localhost");
            assertThat(r.status()).isEqualTo(200);
            assertThat(new ObjectMapper().readTree(r.body()).get("uri").asText()).isEqualTo("/echo");
            // The certificate names localhost, not 127.0.0.1: refused although the CA is trusted.
            Wire.Response mismatch = get(gateway, "127.0.0.1");
            assertThat(mismatch.status()).isEqualTo(502);
            assertThat(new ObjectMapper().readTree(mismatch.body()).get("code").asText()).isEqualTo("IMPL_TLS_FAILED");
        }
    }

    @Test
    void serverNameIndicationCarriesTheUrlsHost() {
        var tls = BareModule.clientTls("");
        var remote = new RemoteRequest(3, true, "origin.example", 443, "/", java.util.List.of(), java.util.Set.of(), java.util.Set.of());
        var handler = OriginPool.tlsHandler(tls, io.netty.buffer.ByteBufAllocator.DEFAULT, remote, 1000);
        try {
            assertThat(handler.engine().getSSLParameters().getServerNames()).hasSize(1);
            assertThat(new String(handler.engine().getSSLParameters().getServerNames().get(0).getEncoded(),
                    java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("origin.example");
            assertThat(handler.engine().getPeerHost()).isEqualTo("origin.example");
        } finally {
            io.netty.util.ReferenceCountUtil.release(handler.engine());
        }
    }

    @Test
    void untrustedCertificateRefused() throws Exception {
        try (Gateway gateway = TestGateways.start(config(false))) {
            Wire.Response r = get(gateway, "localhost");
            assertThat(r.status()).isEqualTo(502);
            assertThat(new ObjectMapper().readTree(r.body()).get("code").asText()).isEqualTo("IMPL_TLS_FAILED");
        }
    }
}
