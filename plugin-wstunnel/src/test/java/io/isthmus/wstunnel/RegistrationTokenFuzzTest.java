package io.isthmus.wstunnel;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.isthmus.core.fuzz.FuzzSupport;
import io.isthmus.core.testing.HandJwt;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A registration's {@code Authorization} header (the input, ISO-8859-1, as the head parser hands it over)
 * through the handler's {@code Bearer} pattern and {@link TunnelTokens#valid} for the id {@code client-1},
 * with two secrets, audience {@code isthmus}, 30 s skew, 31 days' maximum lifetime and a fixed clock; or, when
 * the first byte is 1, header JSON, a line feed and claims JSON that the test signs with secret A (so that the
 * claims checks are reached past the signature). In
 * this package because the pattern is the handler's own (package-private).
 *
 * <p>Properties: nothing throws (an Error included); a token that is accepted is also accepted by an
 * independent reading: three base64url parts, a JSON header with {@code alg} HS256, an HMAC-SHA-256 from the
 * JDK over the first two parts by one of the secrets equal to the third, and JSON claims with {@code tid}
 * equal to the id, numeric {@code exp} (not 0) and {@code nbf} around now within the skew, a lifetime within
 * the maximum, and no {@code aud} but ours.
 */
class RegistrationTokenFuzzTest {

    static final String ID = "client-1";
    static final List<String> SECRETS = List.of(Jwts.A, Jwts.B);
    static final long NOW = 1_800_000_000L;
    static final long SKEW = 30;
    static final long MAX_LIFETIME = Duration.ofDays(31).toSeconds();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TunnelTokens TOKENS = new TunnelTokens(SECRETS, "isthmus", Duration.ofSeconds(SKEW),
            Duration.ofSeconds(MAX_LIFETIME), Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC));

    @BeforeAll
    static void setUp() {
        FuzzSupport.beforeFuzzTests();
    }

    @FuzzTest(maxDuration = "60s")
    void authorization(byte[] data) {
        String header = data.length > 0 && data[0] == 1
                ? "Bearer " + signed(new String(data, 1, data.length - 1, StandardCharsets.UTF_8))
                : new String(data, StandardCharsets.ISO_8859_1);
        Matcher bearer = WstunnelHandler.BEARER.matcher(header);
        if (!bearer.matches()) {
            return;
        }
        String token = bearer.group(1);
        if (TOKENS.valid(token, ID)) {
            assertThat(independentlyValid(token)).as("accepted %s", header).isNull();
        }
    }

    /** The property can fail only if good tokens reach it: the seed {@code valid} is accepted by both readings. */
    @Test
    void theValidSeedIsAcceptedByBoth() throws Exception {
        String header = new String(getClass().getResourceAsStream("RegistrationTokenFuzzTestInputs/authorization/valid")
                .readAllBytes(), StandardCharsets.ISO_8859_1);
        String token = header.substring("Bearer ".length());
        assertThat(TOKENS.valid(token, ID)).isTrue();
        assertThat(independentlyValid(token)).isNull();
        assertThat(TOKENS.valid(token, "client-2")).isFalse();
    }

    /** Header JSON, a line feed, claims JSON: a token signed with secret A, so that the claims checks are reached. */
    static String signed(String text) {
        int nl = text.indexOf('\n');
        String header = nl < 0 ? "{\"alg\":\"HS256\"}" : text.substring(0, nl);
        String claims = nl < 0 ? text : text.substring(nl + 1);
        return HandJwt.hs256(Jwts.A, header, claims);
    }

    /** Null when the token is good by the JDK's HMAC and Jackson's JSON; else why not. */
    static String independentlyValid(String token) {
        String[] parts = token.split("\\.", -1);
        if (parts.length != 3) {
            return "not three parts";
        }
        try {
            Base64.Decoder b64 = Base64.getUrlDecoder();
            JsonNode header = JSON.readTree(b64.decode(parts[0]));
            if (!header.isObject() || !"HS256".equals(header.path("alg").asText(null))) {
                return "alg is not HS256";
            }
            byte[] signature = b64.decode(parts[2]);
            byte[] input = (parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII);
            boolean signed = false;
            for (String secret : SECRETS) {
                signed |= MessageDigest.isEqual(HandJwt.hmac("HmacSHA256", secret, input), signature);
            }
            if (!signed) {
                return "signature";
            }
            JsonNode claims = JSON.readTree(b64.decode(parts[1]));
            if (!claims.isObject() || !claims.path("tid").isTextual() || !claims.path("tid").asText().equals(ID)) {
                return "tid";
            }
            JsonNode exp = claims.path("exp");
            JsonNode nbf = claims.path("nbf");
            if (!exp.isNumber() || !nbf.isNumber() || exp.asLong() == 0) {
                return "exp/nbf";
            }
            if (!(NOW < exp.asLong() + SKEW) || NOW < nbf.asLong() - SKEW || exp.asLong() - nbf.asLong() > MAX_LIFETIME) {
                return "times";
            }
            JsonNode aud = claims.path("aud");
            if (!aud.isMissingNode() && !aud.isNull()) {
                boolean ours = false;
                boolean any = false;
                for (JsonNode a : aud.isArray() ? aud : JSON.createArrayNode().add(aud)) {
                    String s = a.asText("");
                    any |= !s.isEmpty();
                    ours |= s.equals("isthmus");
                }
                if (any && !ours) {
                    return "aud";
                }
            }
            return null;
        } catch (Exception e) {
            return "unreadable: " + e;
        }
    }
}
