package io.isthmus.remoted.cli;

import io.isthmus.remoted.sdk.RemotedUrl;
import io.isthmus.webroute.cli.LocalForwarding;
import io.isthmus.webroute.client.WebRouteClient;
import io.isthmus.webroute.client.WebRouteException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code isthmus remoted reach --listen 127.0.0.1:PORT rwr://KEY@GW/path}: a local port whose every
 * connection reaches the remoted service (one WebRoute connection with a fresh ID each). Runs until interrupted.
 */
@Command(name = "reach", mixinStandardHelpOptions = true,
        description = "Open a local port that reaches a remoted service through a gateway.")
final class ReachCommand implements Callable<Integer> {

    @ParentCommand
    RemotedCommand parent;

    @Option(names = "--listen", required = true, paramLabel = "HOST:PORT", description = "local address, e.g. 127.0.0.1:8000 (port 0 picks one)")
    String listen;

    @Parameters(index = "0", paramLabel = "rwr://KEY@GATEWAY/PATH", description = "the remoted service (rwrs:// for TLS)")
    String url;

    @Override
    public Integer call() {
        RemotedUrl remoted;
        try {
            remoted = RemotedUrl.parse(url, "rwr", "rwrs");
        } catch (WebRouteException e) {
            parent.stderr.println("remoted: " + e.getMessage());
            return 1;
        }
        WebRouteClient client = WebRouteClient.builder().header("X-Remoted-APIKey", remoted.key()).build();
        return LocalForwarding.runUntilInterrupted(listen, remoted.webRouteUrl(), client, "remoted", parent.stderr,
                bound -> bound + " reaches " + remoted);
    }
}
