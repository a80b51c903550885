package io.isthmus.wstunnel;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.wstunnel.cli.WstClientCommand;
import io.isthmus.wstunnel.cli.WstTokenCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code isthmus wst-token} mints what the server accepts; {@code wst-client} takes the Go client's arguments. */
class WstCliTest {

    @Test
    void wstTokenPrintsATokenTheServerAccepts() {
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        int status;
        try {
            status = new CommandLine(new WstTokenCommand()).execute("--secret", Jwts.A, "--lifetime", "PT1H", "worker.1.8080");
        } finally {
            System.setOut(out);
        }
        assertThat(status).isZero();
        String token = captured.toString(StandardCharsets.UTF_8).trim();
        TunnelTokens tokens = new TunnelTokens(List.of(Jwts.B, Jwts.A), "", Duration.ZERO, Duration.ofDays(31), Clock.systemUTC());
        assertThat(tokens.valid(token, "worker.1.8080")).isTrue();
        assertThat(tokens.valid(token, "worker.1.8081")).isFalse();
    }

    @Test
    void wstClientTakesTheGoClientsArguments() {
        WstClientCommand command = new WstClientCommand();
        new CommandLine(command).parseArgs("https://tunnel.example.com", "w.1.80", "8080", "--token", "t.t.t",
                "--out-file=/tmp/url", "--verbose", "--json");
        String usage = new CommandLine(new WstClientCommand()).getUsageMessage();
        assertThat(usage).contains("SERVER", "ID", "PORT", "--token", "--out-file", "--verbose", "--json");
    }
}
