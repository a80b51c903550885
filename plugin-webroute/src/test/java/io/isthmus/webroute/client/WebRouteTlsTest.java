package io.isthmus.webroute.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.TestGateways;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * wrs:// against the gateway's sniffed TLS on the same port as plain wr://, with a throw-away certificate
 * made by the JDK's keytool (so no package beyond the JDK is needed). A plain wr:// client links with it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WebRouteTlsTest {

    @TempDir
    static Path dir;
    static Gateway gateway;
    static SSLContext trust;

    @BeforeAll
    static void start() throws Exception {
        Path store = dir.resolve("gw.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "gw", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
                "-dname", "CN=localhost", "-ext", "san=ip:127.0.0.1,dns:localhost",
                "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", "changeit", "-keypass", "changeit")
                .redirectErrorStream(true).start();
        String out = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(keytool.exitValue()).as(out).isZero();

        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(store.toFile())) {
            ks.load(in, "changeit".toCharArray());
        }
        Certificate cert = ks.getCertificate("gw");
        Path certPem = dir.resolve("cert.pem");
        Path keyPem = dir.resolve("key.pem");
        Files.writeString(certPem, pem("CERTIFICATE", cert.getEncoded()));
        Files.writeString(keyPem, pem("PRIVATE KEY", ks.getKey("gw", "changeit".toCharArray()).getEncoded()));

        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry("gw", cert);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trusted);
        trust = SSLContext.getInstance("TLS");
        trust.init(null, tmf.getTrustManagers(), null);

        gateway = TestGateways.start("isthmus.tls { enabled = true, certificate = \"" + certPem + "\", key = \"" + keyPem + "\" }");
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    @Test
    void aWrsClientLinksWithAPlainOneOnTheSamePort() throws Exception {
        int port = gateway.address().getPort();
        WebRouteClient secure = WebRouteClient.builder().id("tls-id").tls(trust.getSocketFactory())
                .linkWait(Duration.ofSeconds(20)).build();
        CompletableFuture<WebRouteConnection> first = CompletableFuture.supplyAsync(() -> {
            try {
                return secure.connect("wrs://127.0.0.1:" + port + "/secure");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        WebRouteClient plain = WebRouteClient.builder().id("tls-id").linkWait(Duration.ofSeconds(20)).build();
        try (WebRouteConnection p = plain.connect("wr://127.0.0.1:" + port + "/secure");
             WebRouteConnection s = first.get(20, TimeUnit.SECONDS)) {
            s.output().write("sealed".getBytes(StandardCharsets.US_ASCII));
            s.output().flush();
            assertThat(new String(p.input().readNBytes(6), StandardCharsets.US_ASCII)).isEqualTo("sealed");
            p.output().write("plain".getBytes(StandardCharsets.US_ASCII));
            assertThat(new String(s.input().readNBytes(5), StandardCharsets.US_ASCII)).isEqualTo("plain");
        }
    }
}
