package io.isthmus.webroute.handshake;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * The {@code Sec-WebRoute-Accept} value that proves a server read the client's ID:
 * base64(sha1(ID + GUID)), with the GUID both reference programs call {@code ID_GUID}.
 */
public final class WebRouteAccept {

    public static final String GUID = "BE7204BD-47E6-49EE-9B0D-016E370644B2";

    private WebRouteAccept() {
    }

    /**
     * The accept value for an ID as it travelled on the wire. Header values are read as ISO-8859-1, so
     * each char is one byte of the original request, as PHP hashes it.
     */
    public static String of(String id) {
        return of(id.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** The accept value for the raw bytes of an ID. */
    public static String of(byte[] id) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            sha1.update(id);
            sha1.update(GUID.getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(sha1.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-1", e);
        }
    }
}
