package io.isthmus.webroute.cli;

import io.isthmus.webroute.client.WebRouteClient;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code isthmus webroute forward --listen 127.0.0.1:PORT URL --id ID}: every connection to the local
 * port becomes one WebRoute connection with that ID, linked with whoever presents the same URL and ID.
 * Runs until interrupted.
 */
@Command(name = "forward", mixinStandardHelpOptions = true,
        description = "Join a local TCP port to a WebRoute: each local connection becomes one WebRoute connection.")
final class ForwardCommand implements Callable<Integer> {

    @ParentCommand
    WebRouteCommand parent;

    @Option(names = "--listen", required = true, paramLabel = "HOST:PORT", description = "local address to accept on, e.g. 127.0.0.1:2222 (port 0 picks one)")
    String listen;

    @Parameters(index = "0", paramLabel = "URL", description = "wr:// or wrs:// URL (or a space-separated chain)")
    String url;

    @Option(names = "--id", required = true, description = "WebRoute-ID every forwarded connection presents")
    String id;

    @Option(names = "--timeout", paramLabel = "S", description = "idle timeout to ask for once linked, seconds (WebRoute-Timeout)")
    Integer timeoutSeconds;

    @Override
    public Integer call() {
        WebRouteClient client = WebRouteClient.builder()
                .id(id)
                .timeout(timeoutSeconds == null ? null : Duration.ofSeconds(timeoutSeconds))
                .build();
        return LocalForwarding.runUntilInterrupted(listen, url, client, "webroute", parent.stderr,
                bound -> "forwarding " + bound + " to " + url);
    }
}
