package io.isthmus.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The built {@code target/isthmus}, run as a child process the way operators and systemd run it. */
class ExecutableIT {

    /** Short, so the test proves the exit comes from the drain and not from a kill after a timeout. */
    private static final Duration DRAIN = Duration.ofSeconds(5);
    private static final Duration JVM_EXIT = Duration.ofSeconds(20);
    private static final Duration START = Duration.ofSeconds(60);

    private static Path exe;

    @TempDir
    Path dir;

    @BeforeAll
    static void theExecutableWasBuilt() {
        exe = ChildProcess.executable();
    }

    @Test
    void versionAndHelpWorkFromTheLauncherAndFromJavaJar() throws Exception {
        String version = System.getProperty("isthmus.version", "");
        ChildProcess launcher = ChildProcess.run(dir, JVM_EXIT, exe.toString(), "--version");
        assertThat(launcher.exitCode()).as(launcher.toString()).isZero();
        assertThat(launcher.stdout()).startsWith("isthmus " + version);

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ChildProcess jar = ChildProcess.run(dir, JVM_EXIT, java, "-jar", exe.toString(), "--version");
        assertThat(jar.exitCode()).as(jar.toString()).isZero();
        assertThat(jar.stdout()).startsWith("isthmus " + version);
        // Netty's reflection and the opened packages are in place: no illegal-access noise.
        assertThat(launcher.stderr() + jar.stderr()).isEmpty();

        ChildProcess help = ChildProcess.run(dir, JVM_EXIT, exe.toString(), "--help");
        assertThat(help.exitCode()).as(help.toString()).isZero();
        assertThat(help.stdout()).contains("run").contains("check-config").contains("Examples:");
    }

    @Test
    void runServesTheAdminEndpointsThenDrainsAndExitsOnSigterm() throws Exception {
        int listen = Loopback.freePort();
        int admin = Loopback.freePort();
        Path conf = Files.writeString(dir.resolve("isthmus.conf"), """
                isthmus {
                  listen = "127.0.0.1:%d"
                  admin.listen = "127.0.0.1:%d"
                  shutdown.drain-timeout = %ds
                }
                """.formatted(listen, admin, DRAIN.toSeconds()));
        try (ChildProcess gateway = ChildProcess.start(dir, Map.of(),
                List.of(exe.toString(), "run", "--config", conf.toString()))) {
            await("/healthz and /readyz answer 200").atMost(START).pollInterval(Duration.ofMillis(200))
                    .ignoreExceptions()
                    .failFast("the gateway exited", () -> !gateway.process().isAlive())
                    .until(() -> Loopback.get(admin, "/healthz").statusCode() == 200
                            && Loopback.get(admin, "/readyz").statusCode() == 200);

            HttpResponse<String> metrics = Loopback.get(admin, "/metrics");
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("isthmus_build_info").contains("jvm_memory_used_bytes");
            assertThat(Loopback.refuses(listen)).as("the public port listens").isFalse();

            gateway.process().destroy(); // SIGTERM, as systemd stops it
            int code = gateway.awaitExit(DRAIN.plus(JVM_EXIT));
            assertThat(code).as(gateway.toString()).isIn(0, 143);
            assertThat(gateway.stdout()).as("the shutdown hook drained").contains("draining").contains("stopped");
            assertThat(Loopback.refuses(admin)).as("readiness is gone with the admin port").isTrue();
            assertThat(Loopback.refuses(listen)).as("the public port is closed").isTrue();
        }
    }

    @Test
    void jsonLoggingWritesOneJsonObjectPerLine() throws Exception {
        int listen = Loopback.freePort();
        int admin = Loopback.freePort();
        Path conf = Files.writeString(dir.resolve("json.conf"), """
                isthmus {
                  listen = "127.0.0.1:%d"
                  admin.listen = "127.0.0.1:%d"
                  logging.format = json
                  shutdown.drain-timeout = 1s
                }
                """.formatted(listen, admin));
        try (ChildProcess gateway = ChildProcess.start(dir, Map.of(),
                List.of(exe.toString(), "run", "--config", conf.toString()))) {
            await("/healthz answers 200").atMost(START).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .failFast("the gateway exited", () -> !gateway.process().isAlive())
                    .until(() -> Loopback.get(admin, "/healthz").statusCode() == 200);
            gateway.process().destroy();
            gateway.awaitExit(Duration.ofSeconds(1).plus(JVM_EXIT));
            com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
            List<String> jsonLines = gateway.stdout().lines().filter(l -> l.startsWith("{")).toList();
            assertThat(jsonLines).as(gateway.toString()).isNotEmpty();
            for (String line : jsonLines) {
                assertThat(json.readTree(line).has("message")).as(line).isTrue();
            }
            assertThat(jsonLines).anySatisfy(l -> assertThat(json.readTree(l).get("message").asText()).contains("listening on"));
        }
    }

    @Test
    void runWithAnInvalidFileExitsTwoNamingTheKeyPath() throws Exception {
        Path conf = Files.writeString(dir.resolve("bad.conf"), "isthmus.limits.max-headerz = 3\n");
        ChildProcess run = ChildProcess.run(dir, JVM_EXIT, exe.toString(), "run", "--config", conf.toString());
        assertThat(run.exitCode()).as(run.toString()).isEqualTo(2);
        assertThat(run.stderr()).contains("isthmus.limits.max-headerz");
        assertThat(run.stderr().lines()).as("one line for the operator").hasSize(1);
    }

    @Test
    void runWithItsPortTakenExitsOneWithOneLine() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Path conf = Files.writeString(dir.resolve("busy.conf"), "isthmus { listen = \"127.0.0.1:%d\", admin.listen = \"127.0.0.1:%d\" }\n"
                    .formatted(taken.getLocalPort(), Loopback.freePort()));
            ChildProcess run = ChildProcess.run(dir, JVM_EXIT, exe.toString(), "run", "--config", conf.toString());
            assertThat(run.exitCode()).as(run.toString()).isEqualTo(1);
            assertThat(run.stderr().lines()).as(run.toString()).singleElement().asString()
                    .startsWith("isthmus: cannot listen:").containsIgnoringCase("address already in use");
        }
    }

    @Test
    void environmentOverridesWinOverTheFileInsideTheFatJar() throws Exception {
        Path conf = Files.writeString(dir.resolve("isthmus.conf"), "isthmus.listen = \"127.0.0.1:1111\"\n");
        try (ChildProcess check = ChildProcess.start(dir,
                Map.of("ISTHMUS_LISTEN", "127.0.0.1:2222", "ISTHMUS_ADMIN_LISTEN", "127.0.0.1:3333"),
                List.of(exe.toString(), "check-config", conf.toString()))) {
            assertThat(check.awaitExit(JVM_EXIT)).as(check.toString()).isZero();
            assertThat(check.stdout()).startsWith("configuration OK")
                    .contains("listen=\"127.0.0.1:2222\"").contains("listen=\"127.0.0.1:3333\"")
                    .doesNotContain("1111");
        }
    }
}
