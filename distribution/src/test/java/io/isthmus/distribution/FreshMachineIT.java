package io.isthmus.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.containers.Container;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * The README's two commands on a fresh Debian machine with only a JDK and Maven: a clean bookworm
 * container (host network) gets openjdk-17-jdk-headless, maven and git, clones the repository (its
 * committed HEAD, from a git bundle), builds and starts the gateway with the first command, then runs
 * {@code ./test.sh} as root, which installs everything else itself. Slow (every dependency is downloaded
 * and every test runs): profile {@code fresh-machine}. {@code -Dfresh.test.args="..."} replaces the
 * arguments given to {@code ./test.sh}; by default only DebPackageIT is left out (it would need podman
 * inside the container).
 *
 * <p>The container trusts what the host trusts, as a developer's machine on the same network would: a
 * network that inspects TLS presents the registries' certificates signed by its own CA, which the host
 * trusts through {@code /usr/local/share/ca-certificates} (Debian's {@code update-ca-certificates} puts
 * those into the system bundle and, through ca-certificates-java, into Java's cacerts, which Maven uses),
 * and npm through {@code cafile} in its npmrc files. Those CA certificates, the npmrc files and a Maven
 * {@code settings.xml} (mirrors), where the host has them, are copied in before anything is installed.
 * Nothing else of the host's is: no credentials, no caches.
 */
class FreshMachineIT {

    @TempDir
    Path dir;

    static Container.ExecResult sh(GenericContainer<?> box, String script) throws Exception {
        Container.ExecResult r = box.execInContainer("bash", "-c", script);
        System.out.printf("FreshMachineIT: %s -> exit %d%n", script, r.getExitCode());
        return r;
    }

    /** Host files that say whom to trust and where registries are: copied to the same paths in the box, when present. */
    static final List<String> TRUST_FILES = List.of("/etc/npmrc", "/usr/etc/npmrc", "/usr/local/etc/npmrc");
    /** The same in the user's home: copied to root's home in the box (the tests run there as root). */
    static final List<String> HOME_TRUST_FILES = List.of(".npmrc", ".m2/settings.xml");

    /**
     * Copies the host's local CA certificates ({@code /usr/local/share/ca-certificates/*.crt}, the ones
     * Debian adds to every trust store) and its npm and Maven settings into the box; returns what was copied.
     */
    static List<String> copyHostTrust(GenericContainer<?> box) throws Exception {
        List<String> copied = new ArrayList<>();
        Path localCas = Path.of("/usr/local/share/ca-certificates");
        if (Files.isDirectory(localCas)) {
            try (Stream<Path> cas = Files.list(localCas)) {
                for (Path ca : cas.filter(p -> p.toString().endsWith(".crt") && Files.isRegularFile(p)).sorted().toList()) {
                    box.copyFileToContainer(MountableFile.forHostPath(ca, 0644), ca.toString());
                    copied.add(ca.toString());
                }
            }
        }
        for (String file : TRUST_FILES) {
            copyIfPresent(box, Path.of(file), file, copied);
        }
        for (String file : HOME_TRUST_FILES) {
            copyIfPresent(box, Path.of(System.getProperty("user.home"), file), "/root/" + file, copied);
        }
        return copied;
    }

    private static void copyIfPresent(GenericContainer<?> box, Path host, String inBox, List<String> copied) {
        if (Files.isRegularFile(host) && Files.isReadable(host)) {
            box.copyFileToContainer(MountableFile.forHostPath(host, 0644), inBox);
            copied.add(host.toString());
        }
    }

    static String tail(String s) {
        return s.length() <= 6000 ? s : s.substring(s.length() - 6000);
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.HOURS)
    void theReadmeCommandsPassOnAFreshMachine() throws Exception {
        // Only with the profile (an explicit -Dit.test would otherwise run it past the excludes).
        Assumptions.assumeTrue(Boolean.getBoolean("isthmus.fresh.machine"), "profile fresh-machine");
        Path bundle = dir.resolve("isthmus.bundle");
        ChildProcess git = ChildProcess.run(Path.of("..").toAbsolutePath().normalize(), Duration.ofMinutes(2),
                "git", "bundle", "create", bundle.toString(), "HEAD");
        assertThat(git.exitCode()).as(git.toString()).isZero();
        int port = Loopback.freePort();
        int admin = Loopback.freePort();
        String testArgs = System.getProperty("fresh.test.args", "-Dpackage.it.exclude=**/DebPackageIT.java");
        PodmanService.shared();
        try (GenericContainer<?> box = new GenericContainer<>(DockerImageName.parse(PodmanService.BASE_IMAGE))
                     .withNetworkMode("host").withCommand("sleep", "10800")) {
            box.start();
            box.copyFileToContainer(MountableFile.forHostPath(bundle), "/tmp/isthmus.bundle");
            List<String> trusted = copyHostTrust(box);
            System.out.println("FreshMachineIT: host trust copied in: " + trusted);
            // update-ca-certificates again once Java is there: its hook rebuilds Java's cacerts with the copied CAs.
            Container.ExecResult prepared = sh(box, "export DEBIAN_FRONTEND=noninteractive; apt-get update -q"
                    + " && apt-get install -y -q --no-install-recommends openjdk-17-jdk-headless maven git ca-certificates"
                    + " && update-ca-certificates"
                    + " && git clone -q /tmp/isthmus.bundle /root/isthmus");
            assertThat(prepared.getExitCode()).as(tail(prepared.getStdout() + prepared.getStderr())).isZero();

            // The first command: build, then start on the defaults (ports moved off 8080/9090: host network).
            long t0 = System.nanoTime();
            Container.ExecResult built = sh(box, "cd /root/isthmus && mvn -B -q package -DskipTests");
            assertThat(built.getExitCode()).as(tail(built.getStdout() + built.getStderr())).isZero();
            double buildMinutes = (System.nanoTime() - t0) / 60e9;
            sh(box, "cd /root/isthmus && export ISTHMUS_LISTEN=127.0.0.1:" + port + " ISTHMUS_ADMIN_LISTEN=127.0.0.1:" + admin
                    + "; setsid ./distribution/target/isthmus run >/tmp/run.log 2>&1 </dev/null & echo $! >/tmp/run.pid");
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .until(() -> Loopback.get(admin, "/readyz").statusCode() == 200);
            assertThat(Loopback.get(port, "/").body()).contains("webroute");
            sh(box, "kill -TERM $(cat /tmp/run.pid)");

            // The second command.
            long t1 = System.nanoTime();
            Container.ExecResult tested = sh(box, "cd /root/isthmus && export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt"
                    + " && ./test.sh " + testArgs + " > /tmp/test.log 2>&1;"
                    + " code=$?; grep -E 'Tests run:|BUILD|ERROR' /tmp/test.log | tail -n 60; exit $code");
            double testMinutes = (System.nanoTime() - t1) / 60e9;
            System.out.printf("FreshMachineIT: first command (build) %.1f min; ./test.sh %s: %.1f min, exit %d%n",
                    buildMinutes, testArgs, testMinutes, tested.getExitCode());
            assertThat(tested.getExitCode()).as(tail(tested.getStdout() + tested.getStderr())).isZero();
        }
    }
}
