package io.isthmus.wstunnel.cli;

import io.isthmus.wstunnel.TunnelTokens;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code isthmus wst-token ID}: mints a client token the way Taskcluster's auth service does (for testing). */
@Command(name = "wst-token", mixinStandardHelpOptions = true,
        description = "Print an HS256 token that lets a websocktunnel client register as ID.")
public final class WstTokenCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "ID", description = "the client id (the token's tid)")
    String id;

    @Option(names = "--secret", paramLabel = "SECRET",
            description = "the server's secret (default: $ISTHMUS_WSTUNNEL_SECRET_A)")
    String secret;

    @Option(names = "--lifetime", paramLabel = "DURATION", defaultValue = "PT96H",
            description = "how long the token is valid, ISO-8601 (default PT96H, Taskcluster's 96 h)")
    Duration lifetime;

    @Option(names = "--audience", paramLabel = "AUD", description = "the aud claim (the server's audience)")
    String audience;

    @Override
    public Integer call() {
        String s = secret != null ? secret : System.getenv("ISTHMUS_WSTUNNEL_SECRET_A");
        if (s == null || s.isEmpty()) {
            System.err.println("wst-token: give --secret or set ISTHMUS_WSTUNNEL_SECRET_A");
            return 2;
        }
        System.out.println(TunnelTokens.mint(s, id, lifetime, audience, Clock.systemUTC()));
        return 0;
    }
}
