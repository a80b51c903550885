package io.isthmus.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
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
 */
class FreshMachineIT {

    @TempDir
    Path dir;

    static Container.ExecResult sh(GenericContainer<?> box, String script) throws Exception {
        Container.ExecResult r = box.execInContainer("bash", "-c", script);
        System.out.printf("FreshMachineIT: %s -> exit %d%n", script, r.getExitCode());
        return r;
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
            Container.ExecResult prepared = sh(box, "export DEBIAN_FRONTEND=noninteractive; apt-get update -q"
                    + " && apt-get install -y -q --no-install-recommends openjdk-17-jdk-headless maven git ca-certificates"
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
            Container.ExecResult tested = sh(box, "cd /root/isthmus && ./test.sh " + testArgs + " > /tmp/test.log 2>&1;"
                    + " code=$?; grep -E 'Tests run:|BUILD|ERROR' /tmp/test.log | tail -n 60; exit $code");
            double testMinutes = (System.nanoTime() - t1) / 60e9;
            System.out.printf("FreshMachineIT: first command (build) %.1f min; ./test.sh %s: %.1f min, exit %d%n",
                    buildMinutes, testArgs, testMinutes, tested.getExitCode());
            assertThat(tested.getExitCode()).as(tail(tested.getStdout() + tested.getStderr())).isZero();
        }
    }
}
