package io.isthmus.rawsocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.isthmus.core.Gateway;
import io.isthmus.core.config.InvalidConfigException;
import io.isthmus.core.testing.TestGateways;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Targets from a fixed entry and from signed tokens (HS256, ES256); the base64 text mode; config refusals. */
class TargetSourcesTest {

    private static final String SECRET = "0123456789abcdef0123456789abcdef-test-only";

    static LoopbackTargets targets;
    static int echo;
    static KeyPair ec;
    static Gateway gateway;

    @BeforeAll
    static void start() throws Exception {
        targets = new LoopbackTargets();
        echo = targets.echo();
        KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
        gen.initialize(new ECGenParameterSpec("secp256r1"));
        ec = gen.generateKeyPair();
        String pem = "-----BEGIN PUBLIC KEY-----\\n" + Base64.getMimeEncoder().encodeToString(ec.getPublic().getEncoded())
                .replace("\r\n", "\\n") + "\\n-----END PUBLIC KEY-----";
        gateway = TestGateways.start("""
                isthmus.egress.allow-cidrs = ["127.0.0.0/8"]
                isthmus.plugins.rawsocket {
                  tokens.jwt { enabled = true, hs256-secret = "%s", es256-public-key = "%s" }
                  websockify { target = "127.0.0.1:%d", base64 = true }
                  demo.services = false
                }
                """.formatted(SECRET, pem, echo));
    }

    @AfterAll
    static void stop() throws Exception {
        gateway.close();
        targets.close();
    }

    private static String hs256(Map<String, Object> claims, Date exp) throws Exception {
        JWTClaimsSet.Builder b = new JWTClaimsSet.Builder().expirationTime(exp);
        claims.forEach(b::claim);
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), b.build());
        jwt.sign(new MACSigner(SECRET.getBytes(StandardCharsets.UTF_8)));
        return jwt.serialize();
    }

    private static void echoes(String target) throws Exception {
        try (WsClient ws = WsClient.connectBinary(gateway.address(), target)) {
            assertThat(ws.status).isEqualTo(101);
            ws.sendBinary(new byte[] {4, 5, 6});
            assertThat(ws.readBytes(3)).containsExactly(4, 5, 6);
        }
    }

    private static WsClient.Frame closeOf(String target) throws Exception {
        try (WsClient ws = WsClient.connectBinary(gateway.address(), target)) {
            return ws.readDataOrClose();
        }
    }

    @Test
    void theFixedTargetServesRequestsWithoutAToken() throws Exception {
        echoes("/sockets/websockify");
    }

    /** The README's recipe for an unmodified Emscripten build: ws://ADDR:PORT/ with the "binary" subprotocol. */
    @Test
    void thePrefixItselfCanServeAFixedTargetForEmscripten() throws Exception {
        try (Gateway root = TestGateways.start("""
                isthmus.egress.allow-cidrs = ["127.0.0.0/8"]
                isthmus.plugins.rawsocket {
                  prefix = "/"
                  websockify { path = "", target = "127.0.0.1:%d" }
                  demo.enabled = false
                }
                """.formatted(echo));
             WsClient ws = WsClient.connectBinary(root.address(), "/")) {
            assertThat(ws.status).isEqualTo(101);
            ws.sendBinary(new byte[] {1});
            assertThat(ws.readBytes(1)).containsExactly(1);
        }
    }

    @Test
    void signedTokensNameTheTarget() throws Exception {
        Date later = new Date(System.currentTimeMillis() + 60_000);
        echoes("/sockets/websockify?token=" + hs256(Map.of("host", "127.0.0.1", "port", echo), later));
        echoes("/sockets/websockify?token=" + hs256(Map.of("host", "127.0.0.1", "port", Integer.toString(echo)), later));
        SignedJWT es = new SignedJWT(new JWSHeader(JWSAlgorithm.ES256),
                new JWTClaimsSet.Builder().claim("host", "127.0.0.1").claim("port", echo).build());
        es.sign(new ECDSASigner((ECPrivateKey) ec.getPrivate()));
        echoes("/sockets/websockify?token=" + es.serialize());
    }

    @Test
    void badSignedTokensAreRefused() throws Exception {
        Date later = new Date(System.currentTimeMillis() + 60_000);
        String good = hs256(Map.of("host", "127.0.0.1", "port", echo), later);
        String tampered = good.substring(0, good.length() - 3) + (good.endsWith("AAA") ? "BBB" : "AAA");
        assertThat(closeOf("/sockets/websockify?token=" + tampered).closeReason()).isEqualTo("Token signature invalid");
        String expired = hs256(Map.of("host", "127.0.0.1", "port", echo), new Date(System.currentTimeMillis() - 120_000));
        assertThat(closeOf("/sockets/websockify?token=" + expired).closeReason()).isEqualTo("Token expired");
        String noPort = hs256(Map.of("host", "127.0.0.1"), later);
        assertThat(closeOf("/sockets/websockify?token=" + noPort).closeReason()).isEqualTo("Token has no host and port");
        // alg "none" is never accepted, whatever the header says.
        String none = Base64.getUrlEncoder().withoutPadding().encodeToString("{\"alg\":\"none\"}".getBytes(StandardCharsets.UTF_8))
                + "." + good.split("\\.")[1] + ".";
        assertThat(closeOf("/sockets/websockify?token=" + none).closeCode()).isEqualTo(1008);
    }

    @Test
    void base64ModeCarriesTheStreamAsBase64TextFrames() throws Exception {
        try (WsClient ws = WsClient.connect(gateway.address(), "/sockets/websockify", Map.of("Sec-WebSocket-Protocol", "base64"))) {
            assertThat(ws.status).isEqualTo(101);
            assertThat(ws.headers).containsEntry("sec-websocket-protocol", "base64");
            ws.sendText(Base64.getEncoder().encodeToString(new byte[] {0, (byte) 255, 10}));
            WsClient.Frame back = ws.readDataOrClose();
            assertThat(back.opcode()).isEqualTo(WsClient.TEXT);
            assertThat(Base64.getDecoder().decode(back.payload())).containsExactly(0, 255, 10);
            ws.sendText("not base64 !");
            WsClient.Frame close = ws.readDataOrClose();
            assertThat(close.closeCode()).isEqualTo(1007);
        }
    }

    @Test
    void impossibleConfigStopsStartUpNamingTheKey() {
        assertThatThrownBy(() -> TestGateways.start("isthmus.plugins.rawsocket.tokens.jwt { enabled = true, hs256-secret = \"short\" }"))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("isthmus.plugins.rawsocket.tokens.jwt.hs256-secret");
        assertThatThrownBy(() -> TestGateways.start("isthmus.plugins.rawsocket.websockify.target = \"nohost\""))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("isthmus.plugins.rawsocket.websockify.target");
        assertThatThrownBy(() -> TestGateways.start("isthmus.plugins.rawsocket.udp.max-datagram = 70000"))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("max-datagram");
        assertThatThrownBy(() -> TestGateways.start("isthmus.plugins.rawsocket.websockify.allow-hosts = [\"bad host\"]"))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("allow-hosts");
        assertThatThrownBy(() -> TestGateways.start("isthmus.plugins.rawsocket.allowed-origins = [\"https://a.example/path\"]"))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("allowed-origins");
    }
}
