package io.isthmus.webroute.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.spi.CliCommandProvider;
import io.isthmus.core.testing.TestGateways;
import io.isthmus.webroute.client.WebRouteClient;
import io.isthmus.webroute.client.WebRouteConnection;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ServiceLoader;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/** {@code isthmus webroute connect} and {@code forward}, run in-process with their streams injected. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WebRouteCliTest {

    static Gateway gateway;
    static ExecutorService pool = Executors.newCachedThreadPool();

    @BeforeAll
    static void start() {
        gateway = TestGateways.start("isthmus.plugins.webroute.default-timeout = 20s");
    }

    @AfterAll
    static void stop() {
        gateway.close();
        pool.shutdownNow();
    }

    static String url(String path) {
        return "wr://127.0.0.1:" + gateway.address().getPort() + path;
    }

    static CompletableFuture<WebRouteConnection> peer(String path, String id) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return WebRouteClient.builder().id(id).linkWait(Duration.ofSeconds(20)).build().connect(url(path));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }, pool);
    }

    @Test
    void theProviderIsFoundAndNamedWebroute() {
        CliCommandProvider provider = ServiceLoader.load(CliCommandProvider.class).findFirst().orElseThrow();
        CommandLine cl = new CommandLine(provider.command());
        assertThat(cl.getCommandName()).isEqualTo("webroute");
        assertThat(cl.getSubcommands()).containsKeys("connect", "forward");
    }

    @Test
    void connectBridgesStdinAndStdout() throws Exception {
        var partner = peer("/cli/connect", "cli-id");
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        PipedOutputStream typing = new PipedOutputStream();
        InputStream stdin = new PipedInputStream(typing);
        WebRouteCommand cmd = new WebRouteCommand(stdin, stdout, new PrintStream(stderr, true, StandardCharsets.UTF_8));
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> new CommandLine(cmd)
                .execute("connect", url("/cli/connect"), "--id", "cli-id", "--timeout", "90"), pool);
        try (WebRouteConnection p = partner.get(20, TimeUnit.SECONDS)) {
            typing.write("typed line\n".getBytes(StandardCharsets.US_ASCII));
            typing.flush();
            assertThat(new String(p.input().readNBytes(11), StandardCharsets.US_ASCII)).isEqualTo("typed line\n");
            // The end of stdin is not a FIN: the answer written after it still arrives.
            typing.close();
            p.output().write("answer\n".getBytes(StandardCharsets.US_ASCII));
            p.output().flush();
            await().atMost(Duration.ofSeconds(10)).until(() -> stdout.toString(StandardCharsets.US_ASCII).equals("answer\n"));
        }
        // The partner left: the command returns.
        assertThat(exit.get(20, TimeUnit.SECONDS)).isZero();
        assertThat(stdout.toString(StandardCharsets.US_ASCII)).isEqualTo("answer\n");
    }

    @Test
    void connectWithHalfCloseEndsTheOutputAtTheEndOfStdin() throws Exception {
        var partner = peer("/cli/half", "half-id");
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        WebRouteCommand cmd = new WebRouteCommand(new ByteArrayInputStream("all of stdin".getBytes(StandardCharsets.US_ASCII)),
                stdout, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> new CommandLine(cmd)
                .execute("connect", url("/cli/half"), "--id", "half-id", "--half-close"), pool);
        try (WebRouteConnection p = partner.get(20, TimeUnit.SECONDS)) {
            assertThat(new String(p.input().readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("all of stdin");
        }
        assertThat(exit.get(20, TimeUnit.SECONDS)).isZero();
        assertThat(stdout.size()).isZero();
    }

    @Test
    void connectReportsAFailureOnStderr() {
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        WebRouteCommand cmd = new WebRouteCommand(new ByteArrayInputStream(new byte[0]), new ByteArrayOutputStream(),
                new PrintStream(stderr, true, StandardCharsets.UTF_8));
        int code = new CommandLine(cmd).execute("connect", "ftp://127.0.0.1/x");
        assertThat(code).isEqualTo(1);
        assertThat(stderr.toString(StandardCharsets.UTF_8)).contains("protocol_check");
    }

    @Test
    void forwardJoinsEachLocalConnectionToTheWebRoute() throws Exception {
        PipedOutputStream errSink = new PipedOutputStream();
        PipedInputStream errLines = new PipedInputStream(errSink, 1 << 16);
        WebRouteCommand cmd = new WebRouteCommand(new ByteArrayInputStream(new byte[0]), new ByteArrayOutputStream(),
                new PrintStream(errSink, true, StandardCharsets.UTF_8));
        Thread runner = new Thread(() -> new CommandLine(cmd).execute("forward", "--listen", "127.0.0.1:0",
                url("/cli/forward"), "--id", "fwd-id"), "forward-under-test");
        runner.start();
        try {
            int port = listeningPort(errLines);
            for (int round = 0; round < 2; round++) {
                var partner = peer("/cli/forward", "fwd-id");
                try (Socket local = new Socket("127.0.0.1", port)) {
                    local.setSoTimeout(20_000);
                    OutputStream out = local.getOutputStream();
                    out.write(("local " + round).getBytes(StandardCharsets.US_ASCII));
                    try (WebRouteConnection p = partner.get(20, TimeUnit.SECONDS)) {
                        assertThat(new String(p.input().readNBytes(7), StandardCharsets.US_ASCII)).isEqualTo("local " + round);
                        p.output().write(("remote " + round).getBytes(StandardCharsets.US_ASCII));
                        assertThat(new String(local.getInputStream().readNBytes(8), StandardCharsets.US_ASCII))
                                .isEqualTo("remote " + round);
                    }
                    // The partner left: the local connection ends too.
                    assertThat(local.getInputStream().read()).isEqualTo(-1);
                }
            }
        } finally {
            runner.interrupt();
            runner.join(10_000);
        }
        assertThat(runner.isAlive()).isFalse();
    }

    /** Reads stderr until the "forwarding 127.0.0.1:PORT" line. */
    static int listeningPort(InputStream err) throws IOException {
        Pattern line = Pattern.compile("forwarding 127\\.0\\.0\\.1:(\\d+) to ");
        StringBuilder seen = new StringBuilder();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            int b = err.read();
            if (b < 0) {
                break;
            }
            seen.append((char) b);
            Matcher m = line.matcher(seen);
            if (m.find()) {
                return Integer.parseInt(m.group(1));
            }
        }
        throw new AssertionError("no listening line on stderr: " + seen);
    }
}
