package io.isthmus.remoted.cli;

import io.isthmus.core.config.HostPort;
import io.isthmus.remoted.sdk.RemotedUrl;
import io.isthmus.webroute.client.WebRouteClient;
import io.isthmus.webroute.client.WebRouteForwarder;
import java.io.IOException;
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
        HostPort address;
        try {
            address = HostPort.parse(listen);
        } catch (IllegalArgumentException e) {
            parent.stderr.println("remoted: --listen: " + e.getMessage());
            return 2;
        }
        try {
            RemotedUrl remoted = RemotedUrl.parse(url, "rwr", "rwrs");
            WebRouteClient client = WebRouteClient.builder().header("X-Remoted-APIKey", remoted.key()).build();
            try (WebRouteForwarder forwarder = WebRouteForwarder.start(address.toSocketAddress(), remoted.webRouteUrl(), client,
                    line -> parent.stderr.println("remoted: " + line))) {
                var bound = forwarder.address();
                parent.stderr.println("remoted: " + bound.getAddress().getHostAddress() + ":" + bound.getPort() + " reaches " + remoted);
                forwarder.awaitClosed();
                return 0;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        } catch (IOException e) {
            parent.stderr.println("remoted: " + e.getMessage());
            return 1;
        }
    }
}
