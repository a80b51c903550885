package io.isthmus.webroute.handshake;

import io.isthmus.core.http.RequestHead;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * An optional secret a client must present before it may wait or link: the value of one query parameter
 * or one header. Both sides are hashed with SHA-256 and compared with {@link MessageDigest#isEqual}, so
 * the comparison takes the same time whatever the presented value and leaks neither length nor prefix.
 */
public final class AccessRule {

    private static final AccessRule OPEN = new AccessRule(null, null, null);

    private final String queryParameter;
    private final String header;
    private final byte[] expectedDigest;

    private AccessRule(String queryParameter, String header, byte[] expectedDigest) {
        this.queryParameter = queryParameter;
        this.header = header;
        this.expectedDigest = expectedDigest;
    }

    /** Everyone may pass. */
    public static AccessRule open() {
        return OPEN;
    }

    /** A query parameter (decoded as a form value; the last one wins, as PHP's {@code $_GET}) must equal {@code secret}. */
    public static AccessRule queryParameter(String name, String secret) {
        return new AccessRule(name, null, sha256(secret));
    }

    /** A header (case-insensitive name; the last one wins) must equal {@code secret}. */
    public static AccessRule header(String name, String secret) {
        return new AccessRule(null, name, sha256(secret));
    }

    public boolean isOpen() {
        return expectedDigest == null;
    }

    public boolean permits(RequestHead head) {
        if (expectedDigest == null) {
            return true;
        }
        String presented = header != null ? head.header(header) : queryValue(head.query(), queryParameter);
        // Hash even a missing value, so that "absent" and "wrong" cost the same.
        byte[] digest = sha256(presented == null ? "" : presented);
        return MessageDigest.isEqual(digest, expectedDigest) && presented != null;
    }

    private static String queryValue(String query, String name) {
        String found = null;
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String key = decode(eq < 0 ? pair : pair.substring(0, eq));
            if (key != null && key.equals(name)) {
                found = eq < 0 ? "" : decode(pair.substring(eq + 1));
            }
        }
        return found;
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException malformed) {
            return null;
        }
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return isOpen() ? "open" : header != null ? "header " + header : "query parameter " + queryParameter;
    }
}
