package io.isthmus.core.testing;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * JSON Web Tokens built by hand for tests: header and claims as JSON text, base64url without padding, an
 * HMAC from the JDK. Independent of the JWT code under test, and able to build tokens it must refuse.
 */
public final class HandJwt {

    private HandJwt() {
    }

    public static String b64url(String text) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    /** The JDK's HMAC ({@code HmacSHA256}, {@code HmacSHA384}, ...) of {@code input} under the UTF-8 bytes of {@code secret}. */
    public static byte[] hmac(String jdkAlgorithm, String secret, byte[] input) {
        try {
            Mac mac = Mac.getInstance(jdkAlgorithm);
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), jdkAlgorithm));
            return mac.doFinal(input);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code header.claims.signature}, signed with {@code jdkAlgorithm} whatever the header's {@code alg} says. */
    public static String signed(String jdkAlgorithm, String secret, String headerJson, String claimsJson) {
        String input = b64url(headerJson) + "." + b64url(claimsJson);
        return input + "." + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(hmac(jdkAlgorithm, secret, input.getBytes(StandardCharsets.US_ASCII)));
    }

    /** An HS256 token with the header {@code {"alg":"HS256","typ":"JWT"}}. */
    public static String hs256(String secret, String claimsJson) {
        return hs256(secret, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", claimsJson);
    }

    /** {@code header.claims.signature} with an HMAC-SHA256 signature. */
    public static String hs256(String secret, String headerJson, String claimsJson) {
        return signed("HmacSHA256", secret, headerJson, claimsJson);
    }
}
