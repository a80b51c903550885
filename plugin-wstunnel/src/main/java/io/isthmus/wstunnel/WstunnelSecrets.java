package io.isthmus.wstunnel;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;

/**
 * The HS256 secrets in force: the configured ones, or — for an empty list — one generated at start-up
 * (256 bits from {@link SecureRandom}). A generated secret is shown once on standard output with the
 * command that mints a token for it; secrets never reach a log.
 */
final class WstunnelSecrets {

    private final List<String> secrets;
    private final boolean generated;

    WstunnelSecrets(WstunnelConfig config) {
        this.generated = config.secrets().isEmpty();
        this.secrets = generated ? List.of(generate()) : config.secrets();
    }

    List<String> secrets() {
        return secrets;
    }

    /**
     * The secrets a reloaded config puts in force: an empty list keeps the one generated at start-up; a
     * configured list cannot become empty without a restart (there would be no secret to print).
     */
    List<String> reloaded(WstunnelConfig next) {
        if (next.secrets().isEmpty() && !generated) {
            throw new io.isthmus.core.config.InvalidConfigException("isthmus.plugins.wstunnel.secrets",
                    "cannot become empty on reload (a generated secret needs a restart)");
        }
        return next.secrets().isEmpty() ? secrets : next.secrets();
    }

    String announcement(String urlPrefix) {
        if (!generated) {
            return "";
        }
        String secret = secrets.get(0);
        return "wstunnel: no secret configured; generated for this run: " + secret + "\n"
                + "  mint a client token:  isthmus wst-token --secret " + secret + " ID\n"
                + "  run a client:         isthmus wst-client " + urlPrefix + " ID PORT --token TOKEN\n"
                + "  keep one across restarts: isthmus.plugins.wstunnel.secrets or ISTHMUS_WSTUNNEL_SECRET_A\n";
    }

    static String generate() {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
