package io.isthmus.remoted;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * Which role an {@code X-Remoted-APIKey} grants. Keys are kept as SHA-256 digests and every stored key is
 * compared with {@link MessageDigest#isEqual} on equal-length digests, so neither the time taken nor an
 * early exit tells a caller how close a guess was. Client keys are tried first, as the reference does.
 */
final class ApiKeys {

    enum Role { SERVER, CLIENT, NONE }

    private final List<byte[]> serverDigests;
    private final List<byte[]> clientDigests;

    ApiKeys(List<String> serverKeys, List<String> clientKeys) {
        this.serverDigests = serverKeys.stream().map(ApiKeys::digest).toList();
        this.clientDigests = clientKeys.stream().map(ApiKeys::digest).toList();
    }

    Role roleOf(String presented) {
        if (presented == null || presented.isEmpty()) {
            return Role.NONE;
        }
        byte[] candidate = digest(presented);
        boolean client = matchesAny(candidate, clientDigests);
        boolean server = matchesAny(candidate, serverDigests);
        return client ? Role.CLIENT : server ? Role.SERVER : Role.NONE;
    }

    private static boolean matchesAny(byte[] candidate, List<byte[]> digests) {
        boolean found = false;
        for (byte[] d : digests) {
            found |= MessageDigest.isEqual(candidate, d);
        }
        return found;
    }

    private static byte[] digest(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
