package io.isthmus.wstunnel;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;

/**
 * Client tokens (websocktunnel.md §3): HS256 only, signed with one of the secrets (tried in order, for
 * rotation), {@code tid} equal to the client's id, {@code exp} and {@code nbf} required (with an optional
 * clock-skew leeway), {@code aud} checked when present, and {@code exp - nbf} at most the maximum lifetime,
 * which the Go server documents but never enforces. Every failure is the same {@code false}: the caller
 * answers 401 with no detail. The MAC comparison is constant-time (nimbus).
 */
public final class TunnelTokens {

    /** Taskcluster issues nbf = iat - 15 min to absorb clock drift; our minted tokens do the same. */
    static final Duration NBF_BACKDATE = Duration.ofMinutes(15);

    /** What a token is checked against, swapped whole on a hot reload ({@link #adopt}). */
    private record Rules(List<MACVerifier> verifiers, String audience, long skewSeconds, long maxLifetimeSeconds) {
    }

    private volatile Rules rules;
    private final Clock clock;

    public TunnelTokens(List<String> secrets, String audience, Duration skew, Duration maxLifetime, Clock clock) {
        List<MACVerifier> verifiers = new ArrayList<>();
        for (String secret : secrets) {
            try {
                verifiers.add(new MACVerifier(secret.getBytes(StandardCharsets.UTF_8)));
            } catch (JOSEException e) {
                throw new IllegalArgumentException("an HS256 secret needs at least 32 bytes", e);
            }
        }
        this.rules = new Rules(List.copyOf(verifiers), audience, skew.toSeconds(), maxLifetime.toSeconds());
        this.clock = clock;
    }

    /** Hot reload: from now on tokens are checked with {@code next}'s secrets and rules; live sessions stay. */
    public void adopt(TunnelTokens next) {
        this.rules = next.rules;
    }

    /** Whether {@code token} lets a client register as {@code id} now. */
    public boolean valid(String token, String id) {
        try {
            SignedJWT jwt = SignedJWT.parse(token);
            Rules r = rules;
            if (!JWSAlgorithm.HS256.equals(jwt.getHeader().getAlgorithm()) || !signedByOurs(jwt, r)) {
                return false;
            }
            return claimsValid(jwt.getJWTClaimsSet(), id, r);
        } catch (ParseException | JOSEException | RuntimeException e) {
            return false;
        }
    }

    private static boolean signedByOurs(SignedJWT jwt, Rules r) throws JOSEException {
        for (MACVerifier v : r.verifiers()) {
            if (jwt.verify(v)) {
                return true;
            }
        }
        return false;
    }

    private boolean claimsValid(JWTClaimsSet claims, String id, Rules r) {
        long skewSeconds = r.skewSeconds();
        long now = clock.millis() / 1000;
        Date exp = claims.getExpirationTime();
        Date nbf = claims.getNotBeforeTime();
        // exp = 0 counts as missing, as in the Go server.
        if (exp == null || exp.getTime() == 0 || nbf == null) {
            return false;
        }
        long expSeconds = exp.getTime() / 1000;
        long nbfSeconds = nbf.getTime() / 1000;
        if (!(now < expSeconds + skewSeconds) || now < nbfSeconds - skewSeconds) {
            return false;
        }
        if (expSeconds - nbfSeconds > r.maxLifetimeSeconds()) {
            return false;
        }
        if (!(claims.getClaim("tid") instanceof String tid) || !tid.equals(id)) {
            return false;
        }
        return audienceValid(claims.getAudience(), r.audience());
    }

    /** A token without aud (or with only empty ones) passes; one with aud must name ours (tc semantics). */
    private static boolean audienceValid(List<String> aud, String audience) {
        boolean any = false;
        for (String a : aud) {
            if (a != null && !a.isEmpty()) {
                any = true;
                if (!audience.isEmpty() && a.equals(audience)) {
                    return true;
                }
            }
        }
        return !any;
    }

    /** A token for {@code id} as Taskcluster's auth service makes them (nbf 15 min back), for tests and wst-token. */
    public static String mint(String secret, String id, Duration lifetime, String audience, Clock clock) {
        long now = clock.millis() / 1000;
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .claim("tid", id)
                .issueTime(new Date(now * 1000))
                .notBeforeTime(new Date((now - NBF_BACKDATE.toSeconds()) * 1000))
                .expirationTime(new Date((now + lifetime.toSeconds()) * 1000))
                .issuer("isthmus")
                .subject(id);
        if (audience != null && !audience.isEmpty()) {
            claims.audience(audience);
        }
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
        try {
            jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (JOSEException e) {
            throw new IllegalArgumentException("cannot sign with this secret (at least 32 bytes): " + e.getMessage(), e);
        }
        return jwt.serialize();
    }
}
