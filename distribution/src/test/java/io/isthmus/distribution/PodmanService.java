package io.isthmus.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Containers on our machines (../shared/protocols/containers.md): Debian's podman with runc, a base image
 * built locally from Debian packages (no registry, no Java: a fresh Debian host), and podman's Docker API
 * on a socket for Testcontainers. The socket path and TESTCONTAINERS_RYUK_DISABLED come from the test's
 * environment (distribution/pom.xml sets DOCKER_HOST to target/podman.sock).
 */
final class PodmanService {

    static final String BASE_IMAGE = "localhost/debian-minbase:bookworm";
    private static final Path PODMAN = Path.of("/usr/bin/podman");
    /** One service per test JVM: Testcontainers keeps one Docker client, bound to the first service it met. */
    private static PodmanService shared;

    private final ChildProcess service;

    private PodmanService(ChildProcess service) {
        this.service = service;
    }

    /**
     * The API service of this test JVM: on first use checks the machine, builds the base image when it is
     * missing and starts the service, which is stopped (by its PID) when the JVM exits.
     */
    static synchronized PodmanService shared() throws IOException, InterruptedException {
        if (shared == null) {
            Path dir = Files.createTempDirectory(Path.of(System.getProperty("isthmus.target", "target")), "podman");
            shared = start(dir);
            PodmanService s = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    s.service.close();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "podman-service-stop"));
        }
        return shared;
    }

    private static PodmanService start(Path dir) throws IOException, InterruptedException {
        assertThat(PODMAN).as("podman is not installed; run ./test.sh, or: apt-get install -y --no-install-recommends"
                + " podman runc debootstrap").isExecutable();
        assertThat(Path.of("/etc/containers/containers.conf")).as("podman needs runc and no default ulimits here;"
                + " testing/install-deps.sh writes /etc/containers/containers.conf").content().contains("runc");
        String dockerHost = System.getenv("DOCKER_HOST");
        assertThat(dockerHost).as("DOCKER_HOST (set by distribution/pom.xml)").startsWith("unix://");
        assertThat(System.getenv("TESTCONTAINERS_RYUK_DISABLED")).isEqualTo("true");
        ensureBaseImage(dir);
        Path socket = Path.of(dockerHost.substring("unix://".length()));
        Files.deleteIfExists(socket);
        ChildProcess service = ChildProcess.start(dir, Map.of(),
                List.of(PODMAN.toString(), "system", "service", "--time=0", dockerHost));
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(socket) || !service.process().isAlive());
            assertThat(service.process().isAlive()).as(service.toString()).isTrue();
        } catch (RuntimeException | Error e) {
            service.close();
            throw e;
        }
        return new PodmanService(service);
    }

    /** debootstrap minbase, imported as an image: once per machine (about a minute). */
    private static void ensureBaseImage(Path dir) throws IOException, InterruptedException {
        if (ChildProcess.run(dir, Duration.ofSeconds(30), PODMAN.toString(), "image", "exists", BASE_IMAGE).exitCode() == 0) {
            return;
        }
        Path root = dir.resolve("minbase");
        ChildProcess boot = ChildProcess.run(dir, Duration.ofMinutes(10), "debootstrap", "--variant=minbase", "bookworm",
                root.toString());
        assertThat(boot.exitCode()).as(boot.toString()).isZero();
        ChildProcess imported = ChildProcess.run(dir, Duration.ofMinutes(5), "sh", "-c",
                "tar -C '" + root + "' -c . | " + PODMAN + " import - " + BASE_IMAGE);
        assertThat(imported.exitCode()).as(imported.toString()).isZero();
        ChildProcess.run(dir, Duration.ofMinutes(2), "rm", "-rf", root.toString());
    }
}
