package io.isthmus.wstunnel;

import io.isthmus.core.testing.HandJwt;

/** Test tokens built by hand (header and claims as JSON text, HMAC from the JDK), independent of the server. */
final class Jwts {

    static final String A = "secret-A-0123456789-0123456789-0123456789";
    static final String B = "secret-B-0123456789-0123456789-0123456789";

    private Jwts() {
    }

    static long now() {
        return System.currentTimeMillis() / 1000;
    }

    static String b64(String s) {
        return HandJwt.b64url(s);
    }

    /** {@code claims} is the JSON object's inside, e.g. {@code "tid":"c1","exp":123}. */
    static String token(String alg, String secret, String claims) {
        String header = "{\"alg\":\"" + alg + "\",\"typ\":\"JWT\"}";
        if (alg.equals("none")) {
            return b64(header) + "." + b64("{" + claims + "}") + ".";
        }
        String jdk = switch (alg) {
            case "HS256" -> "HmacSHA256";
            case "HS384" -> "HmacSHA384";
            default -> "HmacSHA512";
        };
        return HandJwt.signed(jdk, secret, header, "{" + claims + "}");
    }

    /** T(secret, tid, exp, nbf) of §10, HS256, no aud. */
    static String t(String secret, String tid, long exp, long nbf) {
        return token("HS256", secret, "\"tid\":\"" + tid + "\",\"exp\":" + exp + ",\"nbf\":" + nbf);
    }

    static String valid(String tid) {
        return t(A, tid, now() + 3600, now() - 60);
    }
}
