package io.isthmus.webroute.cli;

import io.isthmus.core.config.HostPort;
import io.isthmus.webroute.client.WebRouteClient;
import io.isthmus.webroute.client.WebRouteForwarder;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.util.function.Function;

/**
 * What the commands that serve a local port through WebRoute share ({@code webroute forward}, {@code remoted
 * reach}): listen, forward every connection, report on stderr, run until interrupted.
 */
public final class LocalForwarding {

    private LocalForwarding() {
    }

    /**
     * Forwards every connection to {@code listen} as one WebRoute connection to {@code url} with {@code client}.
     * Lines go to {@code stderr} behind "{@code name}: "; {@code started} words the line that says where it
     * listens. Returns the exit code: 0 when interrupted, 2 for a bad {@code --listen}, 1 when it cannot serve.
     */
    public static int runUntilInterrupted(String listen, String url, WebRouteClient client, String name, PrintStream stderr,
                                          Function<String, String> started) {
        HostPort address;
        try {
            address = HostPort.parse(listen);
        } catch (IllegalArgumentException e) {
            stderr.println(name + ": --listen: " + e.getMessage());
            return 2;
        }
        try (WebRouteForwarder forwarder = WebRouteForwarder.start(address.toSocketAddress(), url, client,
                line -> stderr.println(name + ": " + line))) {
            InetSocketAddress bound = forwarder.address();
            stderr.println(name + ": " + started.apply(bound.getAddress().getHostAddress() + ":" + bound.getPort()));
            forwarder.awaitClosed();
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        } catch (IOException e) {
            stderr.println(name + ": " + e.getMessage());
            return 1;
        }
    }
}
