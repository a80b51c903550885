package io.isthmus.remoted;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;

/**
 * The keys in force: the configured ones, or — for an empty list — one generated at start-up (256 bits from
 * {@link SecureRandom}, URL-safe). A generated key is shown once, on standard output, with how to use it;
 * keys never reach a log.
 */
final class RemotedKeys {

    private final List<String> serverKeys;
    private final List<String> clientKeys;
    private final boolean serverGenerated;
    private final boolean clientGenerated;

    RemotedKeys(RemotedConfig config) {
        this.serverGenerated = config.serverKeys().isEmpty();
        this.clientGenerated = config.clientKeys().isEmpty();
        this.serverKeys = serverGenerated ? List.of(generate()) : config.serverKeys();
        this.clientKeys = clientGenerated ? List.of(generate()) : config.clientKeys();
    }

    ApiKeys apiKeys() {
        return new ApiKeys(serverKeys, clientKeys);
    }

    /**
     * The keys a reloaded config puts in force. An empty list keeps the key generated at start-up; a list
     * that was configured cannot become empty without a restart (there would be no key to print).
     */
    ApiKeys reloaded(RemotedConfig next) {
        if (next.serverKeys().isEmpty() && !serverGenerated) {
            throw new io.isthmus.core.config.InvalidConfigException("isthmus.plugins.remoted.server-keys",
                    "cannot become empty on reload (a generated key needs a restart)");
        }
        if (next.clientKeys().isEmpty() && !clientGenerated) {
            throw new io.isthmus.core.config.InvalidConfigException("isthmus.plugins.remoted.client-keys",
                    "cannot become empty on reload (a generated key needs a restart)");
        }
        return new ApiKeys(next.serverKeys().isEmpty() ? serverKeys : next.serverKeys(),
                next.clientKeys().isEmpty() ? clientKeys : next.clientKeys());
    }

    /** What to print at start-up for generated keys, or an empty string. */
    String announcement(String publicAddress) {
        StringBuilder s = new StringBuilder();
        if (serverGenerated) {
            s.append("remoted: no server key configured; generated for this run: ").append(serverKeys.get(0)).append('\n')
                    .append("  a server registers with   rws://").append(serverKeys.get(0)).append('@').append(publicAddress).append("/PATH\n")
                    .append("  keep one across restarts: isthmus.plugins.remoted.server-keys or ISTHMUS_REMOTED_SERVER_KEY\n");
        }
        if (clientGenerated) {
            s.append("remoted: no client key configured; generated for this run: ").append(clientKeys.get(0)).append('\n')
                    .append("  a client connects with    rwr://").append(clientKeys.get(0)).append('@').append(publicAddress).append("/PATH\n")
                    .append("  keep one across restarts: isthmus.plugins.remoted.client-keys or ISTHMUS_REMOTED_CLIENT_KEY\n");
        }
        return s.toString();
    }

    static String generate() {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
