package io.isthmus.rawsocket.target;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.isthmus.core.config.HostPort;
import io.isthmus.core.fuzz.FuzzSupport;
import io.isthmus.rawsocket.RawSocketConfig.JwtConfig;
import io.isthmus.core.testing.HandJwt;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Base64;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;

/**
 * websockify's signed tokens ({@code ?token=<JWS>}) into {@link SignedTokens#verify}: HS256 with a 32-byte
 * secret, 30 s skew, a fixed clock. In the target package for the clock.
 *
 * <p>Input: one byte choosing the form, then either ({@code % 2 == 0}) the token text as it is (ISO-8859-1),
 * or header JSON, a line feed, and claims JSON, which the test signs with the secret itself, so that the
 * claims reader is reached past the signature check.
 *
 * <p>Properties: the only failure is {@link SignedTokens.Invalid} labelled {@code bad_token} or
 * {@code expired_token}; a token that is accepted is HS256 signed by the secret (JDK HMAC) and its claims, read
 * by Jackson, have {@code host} a non-empty string equal to the target's host, {@code port} a whole number
 * (or a decimal string) equal to the target's port in 1-65535, and {@code exp}/{@code nbf}, when present,
 * around now within the skew.
 */
class SignedTokensFuzzTest {

    static final String SECRET = "websockify-secret-0123456789-0123456789";
    static final long NOW = 1_800_000_000L;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SignedTokens TOKENS = new SignedTokens(new JwtConfig(true, SECRET, "", Duration.ofSeconds(30)),
            Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC));

    @BeforeAll
    static void setUp() {
        FuzzSupport.beforeFuzzTests();
    }

    @FuzzTest(maxDuration = "60s")
    void verify(byte[] data) {
        if (data.length == 0) {
            return;
        }
        byte[] rest = Arrays.copyOfRange(data, 1, data.length);
        String token = (data[0] & 1) == 0 ? new String(rest, StandardCharsets.ISO_8859_1) : sign(new String(rest, StandardCharsets.UTF_8));
        HostPort target;
        try {
            target = TOKENS.verify(token);
        } catch (SignedTokens.Invalid e) {
            assertThat(Set.of("bad_token", "expired_token")).as("label for %s", FuzzSupport.hex(data)).contains(e.label());
            return;
        }
        assertThat(independently(token, target)).as("accepted %s", FuzzSupport.hex(data)).isNull();
    }

    /** Header and claims JSON (split at the first line feed) as a token signed with the secret. */
    static String sign(String text) {
        int nl = text.indexOf('\n');
        String header = nl < 0 ? "{\"alg\":\"HS256\"}" : text.substring(0, nl);
        String claims = nl < 0 ? text : text.substring(nl + 1);
        return HandJwt.hs256(SECRET, header, claims);
    }

    private static byte[] hmac(byte[] input) {
        return HandJwt.hmac("HmacSHA256", SECRET, input);
    }

    /** Null when the JDK and Jackson agree that the token is good and names {@code target}; else why not. */
    static String independently(String token, HostPort target) {
        String[] parts = token.split("\\.", -1);
        if (parts.length != 3) {
            return "not three parts";
        }
        try {
            Base64.Decoder b64 = Base64.getUrlDecoder();
            if (!"HS256".equals(JSON.readTree(b64.decode(parts[0])).path("alg").asText(null))) {
                return "alg";
            }
            if (!Arrays.equals(hmac((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII)), b64.decode(parts[2]))) {
                return "signature";
            }
            JsonNode claims = JSON.readTree(b64.decode(parts[1]));
            JsonNode host = claims.path("host");
            JsonNode port = claims.path("port");
            if (!host.isTextual() || host.asText().isEmpty() || !host.asText().equals(target.host())) {
                return "host " + host + " read as " + target.host();
            }
            long p = port.isIntegralNumber() && port.canConvertToLong() ? port.asLong()
                    : port.isTextual() && port.asText().matches("[+-]?[0-9]{1,10}") ? Long.parseLong(port.asText()) : -1;
            if (p < 1 || p > 65535 || p != target.port()) {
                return "port " + port + " read as " + target.port();
            }
            JsonNode exp = claims.path("exp");
            JsonNode nbf = claims.path("nbf");
            if (exp.isNumber() && NOW - 30 >= exp.asLong()) {
                return "expired";
            }
            if (nbf.isNumber() && NOW + 30 < nbf.asLong()) {
                return "not yet valid";
            }
            return null;
        } catch (Exception e) {
            return "unreadable: " + e;
        }
    }
}
