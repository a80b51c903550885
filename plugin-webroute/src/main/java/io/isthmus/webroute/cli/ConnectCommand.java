package io.isthmus.webroute.cli;

import io.isthmus.webroute.client.StreamBridge;
import io.isthmus.webroute.client.WebRouteClient;
import io.isthmus.webroute.client.WebRouteConnection;
import io.isthmus.webroute.client.WebRouteException;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code isthmus webroute connect URL}: waits for the link, then bridges stdin to the partner and the
 * partner to stdout, returning when the partner's bytes end. The end of stdin is not passed on unless
 * {@code --half-close} asks: a WebRoute server (the reference, and this gateway by default) closes the
 * whole pair at one side's FIN, which would cut off an answer still on its way.
 */
@Command(name = "connect", mixinStandardHelpOptions = true,
        description = "Link stdin/stdout with the WebRoute client that presents the same URL and ID.")
final class ConnectCommand implements Callable<Integer> {

    @ParentCommand
    WebRouteCommand parent;

    @Parameters(index = "0", paramLabel = "URL",
            description = "wr:// or wrs:// URL; several, separated by spaces in one argument, form a chain")
    String url;

    @Option(names = "--id", description = "WebRoute-ID (default: 64 random characters, printed to stderr)")
    String id;

    @Option(names = "--timeout", paramLabel = "S", description = "idle timeout to ask for once linked, seconds (WebRoute-Timeout)")
    Integer timeoutSeconds;

    @Option(names = "--half-close", description = "at the end of stdin, end the output (the partner sees EOF)")
    boolean halfClose;

    @Override
    public Integer call() {
        WebRouteClient client = WebRouteClient.builder()
                .id(id)
                .timeout(timeoutSeconds == null ? null : Duration.ofSeconds(timeoutSeconds))
                .build();
        try (WebRouteConnection link = client.connect(url)) {
            if (id == null) {
                parent.stderr.println("webroute: id " + link.id());
            }
            Thread upstream = new Thread(() -> {
                try {
                    StreamBridge.copy(parent.stdin, link.output());
                    if (halfClose) {
                        link.shutdownOutput();
                    }
                } catch (IOException | UnsupportedOperationException e) {
                    // The link ended first, or TLS cannot half-close: the downstream copy ends it.
                }
            }, "webroute-stdin");
            upstream.setDaemon(true);
            upstream.start();
            StreamBridge.copy(link.input(), parent.stdout);
            parent.stdout.flush();
            return 0;
        } catch (WebRouteException e) {
            parent.stderr.println("webroute: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            parent.stderr.println("webroute: " + e);
            return 1;
        }
    }
}
