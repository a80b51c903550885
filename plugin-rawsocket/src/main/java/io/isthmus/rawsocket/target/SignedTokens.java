package io.isthmus.rawsocket.target;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.isthmus.core.config.HostPort;
import io.isthmus.rawsocket.RawSocketConfig.JwtConfig;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.interfaces.ECPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Date;

/**
 * Targets carried in signed tokens (websockify's JWTTokenApi): a compact JWS, HS256 or ES256, whose claims
 * hold {@code host} and {@code port}; {@code exp} and {@code nbf} are honoured with a leeway. Verification
 * is nimbus-jose-jwt's (constant-time MAC comparison, JCA signatures); only the two configured algorithms
 * are accepted, whatever the token's header says.
 */
public final class SignedTokens {

    private static final java.util.regex.Pattern COMPACT = java.util.regex.Pattern.compile("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+");

    /** The keys and leeway in force, swapped whole on a hot reload ({@link #adopt}). */
    private record Keys(JWSVerifier hs256, JWSVerifier es256, Duration skew) {
    }

    private volatile Keys keys;
    private final Clock clock;

    /** Why a token was not accepted; {@code label} is a metric label. */
    public static final class Invalid extends Exception {
        private final String label;

        Invalid(String label, String message) {
            super(message, null, false, false);
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    public SignedTokens(JwtConfig config) {
        this(config, Clock.systemUTC());
    }

    SignedTokens(JwtConfig config, Clock clock) {
        try {
            JWSVerifier hs256 = config.hs256Secret().isEmpty() ? null
                    : new MACVerifier(config.hs256Secret().getBytes(StandardCharsets.UTF_8));
            JWSVerifier es256 = config.es256PublicKey().isEmpty() ? null : new ECDSAVerifier(ecKey(config.es256PublicKey()));
            this.keys = new Keys(hs256, es256, config.clockSkew());
        } catch (JOSEException e) {
            throw new IllegalArgumentException("jwt: " + e.getMessage(), e);
        }
        this.clock = clock;
    }

    /** Hot reload: tokens are verified with {@code next}'s keys and leeway from now on; open bridges stay. */
    public void adopt(SignedTokens next) {
        this.keys = next.keys;
    }

    /** Whether {@code token} has the shape of a compact JWS (three dot-separated parts). */
    public static boolean looksSigned(String token) {
        int first = token.indexOf('.');
        return first > 0 && token.indexOf('.', first + 1) > first + 1 && token.chars().filter(c -> c == '.').count() == 2;
    }

    /** The target a valid token names. */
    public HostPort verify(String token) throws Invalid {
        // nimbus's base64url decoder skips characters outside the alphabet, so "sig" and "s!i~g" would be one
        // token; a compact JWS has exactly one spelling here.
        if (!COMPACT.matcher(token).matches()) {
            throw new Invalid("bad_token", "Malformed token");
        }
        SignedJWT jwt;
        try {
            jwt = SignedJWT.parse(token);
        } catch (ParseException e) {
            throw new Invalid("bad_token", "Malformed token");
        }
        Keys k = keys;
        Duration skew = k.skew();
        JWSAlgorithm alg = jwt.getHeader().getAlgorithm();
        JWSVerifier verifier = JWSAlgorithm.HS256.equals(alg) ? k.hs256() : JWSAlgorithm.ES256.equals(alg) ? k.es256() : null;
        if (verifier == null) {
            throw new Invalid("bad_token", "Token algorithm not accepted");
        }
        JWTClaimsSet claims;
        try {
            if (!jwt.verify(verifier)) {
                throw new Invalid("bad_token", "Token signature invalid");
            }
            claims = jwt.getJWTClaimsSet();
        } catch (JOSEException | ParseException e) {
            throw new Invalid("bad_token", "Token signature invalid");
        }
        Date now = Date.from(clock.instant());
        Date exp = claims.getExpirationTime();
        if (exp != null && now.getTime() - skew.toMillis() >= exp.getTime()) {
            throw new Invalid("expired_token", "Token expired");
        }
        Date nbf = claims.getNotBeforeTime();
        if (nbf != null && now.getTime() + skew.toMillis() < nbf.getTime()) {
            throw new Invalid("expired_token", "Token not yet valid");
        }
        Object host = claims.getClaim("host");
        Object port = claims.getClaim("port");
        // A whole number (nimbus reads JSON integers as Long) or its decimal digits; never a fraction or a
        // value that intValue() would wrap into range (4294967376 is not port 80).
        long p = port instanceof Long || port instanceof Integer ? ((Number) port).longValue()
                : port instanceof String s && s.matches("[0-9]{1,5}") ? Long.parseLong(s) : -1;
        if (!(host instanceof String h) || h.isEmpty() || p < 1 || p > 65535) {
            throw new Invalid("bad_token", "Token has no host and port");
        }
        return new HostPort(h, (int) p);
    }

    private static ECPublicKey ecKey(String pem) {
        String base64 = pem.replaceAll("-----(BEGIN|END) PUBLIC KEY-----", "").replaceAll("\\s", "");
        try {
            byte[] der = Base64.getDecoder().decode(base64);
            return (ECPublicKey) KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(der));
        } catch (Exception e) {
            throw new IllegalArgumentException("jwt.es256-public-key: not a PEM EC public key", e);
        }
    }
}
