package io.isthmus.rawsocket.wisp;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.Map;

/**
 * Wisp v2 password authentication (extension 0x02, §B.4). Clients send one of two layouts, and both are
 * accepted: draft 6's {@code user_len:u8 | user | password[rest]} and the one wisp-js and epoxy send,
 * {@code user_len:u8 | pass_len:u16le | user | pass}. Passwords are compared as SHA-256 digests in constant
 * time, so neither their content nor their length leaks through timing.
 */
final class WispPasswords {

    private final Map<String, byte[]> digests = new HashMap<>();

    WispPasswords(Map<String, String> users) {
        users.forEach((user, password) -> digests.put(user, sha256(password.getBytes(StandardCharsets.UTF_8))));
    }

    /** Whether the client's payload, in either layout, names a user with the right password. */
    boolean accepts(byte[] payload) {
        if (payload.length < 1) {
            return false;
        }
        int userLength = payload[0] & 0xff;
        boolean ok = false;
        // wisp-js / epoxy layout: both lengths given, and they must add up exactly.
        if (payload.length >= 3) {
            int passLength = (payload[1] & 0xff) | (payload[2] & 0xff) << 8;
            if (3 + userLength + passLength == payload.length) {
                ok = check(payload, 3, userLength, 3 + userLength, passLength);
            }
        }
        // Draft 6 layout: the password is the rest.
        if (!ok && 1 + userLength <= payload.length) {
            ok = check(payload, 1, userLength, 1 + userLength, payload.length - 1 - userLength);
        }
        return ok;
    }

    private boolean check(byte[] p, int userAt, int userLength, int passAt, int passLength) {
        String user = new String(p, userAt, userLength, StandardCharsets.UTF_8);
        byte[] expected = digests.get(user);
        byte[] given = sha256(java.util.Arrays.copyOfRange(p, passAt, passAt + passLength));
        // Compare against something even for an unknown user, so both cases cost the same.
        return MessageDigest.isEqual(expected != null ? expected : new byte[32], given) && expected != null;
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
