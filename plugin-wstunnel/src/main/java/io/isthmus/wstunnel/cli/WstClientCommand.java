package io.isthmus.wstunnel.cli;

import io.isthmus.core.ValidatedConfig;
import io.isthmus.core.config.ConfigLoader;
import io.isthmus.core.metrics.GatewayMetrics;
import io.isthmus.core.splice.SpliceEngine;
import io.isthmus.wstunnel.client.TokenSource;
import io.isthmus.wstunnel.client.WstClient;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code isthmus wst-client SERVER ID PORT}: the Go wst-client's arguments and behaviour (§7), minus the crashes. */
@Command(name = "wst-client", mixinStandardHelpOptions = true,
        description = "Register with a websocktunnel server as ID and serve every viewer from localhost:PORT.")
public final class WstClientCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "SERVER", description = "the server, e.g. https://tunnel.example.com or http://host:port/wst")
    String server;

    @Parameters(index = "1", paramLabel = "ID", description = "this client's id (letters, digits, _ ~ . % -)")
    String id;

    @Parameters(index = "2", paramLabel = "PORT", description = "the local port viewers are served from")
    int port;

    @Option(names = "--token", paramLabel = "JWT", description = "the token; without it, token lines are read from standard input (each replaces the last)")
    String token;

    @Option(names = "--out-file", paramLabel = "F", description = "write the client URL the server announced to this file")
    Path outFile;

    @Option(names = "--verbose", description = "log more")
    boolean verbose;

    @Option(names = "--json", description = "log JSON lines")
    boolean json;

    PrintStream stderr = System.err;

    @Override
    public Integer call() throws Exception {
        TokenSource tokens = token != null ? TokenSource.fixed(token) : TokenSource.lines(System.in);
        GatewayMetrics metrics = new GatewayMetrics("wst-client");
        SpliceEngine splices = new SpliceEngine(ValidatedConfig.of(ConfigLoader.loadString("")).core().splice(), metrics, verbose);
        try (WstClient client = new WstClient(server, id, port, tokens, outFile, this::log, splices, Duration.ofSeconds(20))) {
            Thread hook = new Thread(client::stop, "wst-client-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            return client.run();
        }
    }

    private void log(String message) {
        if (json) {
            stderr.println("{\"time\":\"" + Instant.now() + "\",\"level\":\"info\",\"msg\":\"" + message.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}");
        } else {
            stderr.println(Instant.now() + " wst-client: " + message);
        }
    }
}
