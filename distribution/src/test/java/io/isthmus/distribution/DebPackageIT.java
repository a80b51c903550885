package io.isthmus.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.testing.RawClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.Container;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * The Debian package on a fresh Debian host: a clean bookworm container (no Java) on the host network
 * installs it with {@code apt-get install ./isthmus_*.deb}, runs the unit's ExecStart as the service user
 * on the package's own runtime, answers {@code /readyz} and links a WebRoute pair, then {@code apt-get
 * purge} leaves nothing behind. About a minute once the base image exists (the first run builds it);
 * skip it with the property package.it.exclude (distribution/pom.xml).
 */
class DebPackageIT {

    /** Where files may change while a package is installed and purged, without being the package's. */
    private static final String SNAPSHOT = "find / -xdev \\( -path /proc -o -path /sys -o -path /dev -o -path /run"
            + " -o -path /tmp -o -path /var/lib/dpkg -o -path /var/lib/apt -o -path /var/cache -o -path /var/log \\)"
            + " -prune -o -print | LC_ALL=C sort";

    static Path deb() throws IOException {
        Path target = Path.of(System.getProperty("isthmus.target", "target"));
        try (Stream<Path> files = Files.list(target)) {
            return files.filter(p -> p.getFileName().toString().matches("isthmus_.*\\.deb")).findFirst()
                    .orElseThrow(() -> new AssertionError("no isthmus_*.deb in " + target + "; run `mvn package` first"));
        }
    }

    /** A file listing, without the backups useradd and userdel keep of the user databases (not ours). */
    static Set<String> files(String listing) {
        Set<String> out = new HashSet<>(listing.lines().toList());
        out.removeIf(f -> f.matches("/etc/(passwd|group|shadow|gshadow|subuid|subgid)-"));
        return out;
    }

    static String run(GenericContainer<?> box, String script) throws IOException, InterruptedException {
        Container.ExecResult r = box.execInContainer("bash", "-c", script);
        assertThat(r.getExitCode()).as(script + "\n--- stdout\n" + r.getStdout() + "\n--- stderr\n" + r.getStderr()).isZero();
        return r.getStdout();
    }

    @Test
    void installsRunsAndPurgesCleanly() throws Exception {
        Path deb = deb();
        int port = Loopback.freePort();
        int admin = Loopback.freePort();
        PodmanService.shared();
        try (GenericContainer<?> box = new GenericContainer<>(DockerImageName.parse(PodmanService.BASE_IMAGE))
                     .withNetworkMode("host").withCommand("sleep", "900")) {
            box.start();
            assertThat(box.execInContainer("sh", "-c", "command -v java").getExitCode()).as("a host without Java").isNotZero();
            String before = run(box, SNAPSHOT);
            box.copyFileToContainer(MountableFile.forHostPath(deb), "/tmp/" + deb.getFileName());

            long t0 = System.nanoTime();
            run(box, "cd /tmp && DEBIAN_FRONTEND=noninteractive apt-get install -y -q ./isthmus_*.deb");
            double installSeconds = (System.nanoTime() - t0) / 1e9;
            assertThat(run(box, "getent passwd isthmus")).contains("/usr/sbin/nologin");
            assertThat(run(box, "stat -c '%U:%G %a' /etc/isthmus/isthmus.conf")).isEqualTo("root:isthmus 640\n");
            assertThat(run(box, "cat /var/lib/dpkg/info/isthmus.conffiles")).contains("/etc/isthmus/isthmus.conf");
            assertThat(run(box, "ls /usr/share/isthmus/examples /usr/share/isthmus/monitoring"))
                    .contains("nginx.conf", "haproxy.cfg", "isthmus-dashboard.json", "isthmus-alerts.yml");
            String unit = run(box, "cat /lib/systemd/system/isthmus.service");
            assertThat(unit).contains("User=isthmus", "ExecStart=/usr/bin/isthmus run --config /etc/isthmus/isthmus.conf");
            String execStart = unit.lines().filter(l -> l.startsWith("ExecStart=")).findFirst().orElseThrow()
                    .substring("ExecStart=".length());

            // No systemd in the container: the unit's command line, as its user, on the package's runtime.
            run(box, "export ISTHMUS_LISTEN=127.0.0.1:" + port + " ISTHMUS_ADMIN_LISTEN=127.0.0.1:" + admin
                    + "; date +%s%N >/tmp/isthmus.started; setsid setpriv --reuid=isthmus --regid=isthmus --init-groups "
                    + execStart + " >/tmp/isthmus.log 2>&1 </dev/null & echo $! > /tmp/isthmus.pid");
            try {
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).ignoreExceptions()
                        .until(() -> Loopback.get(admin, "/readyz").statusCode() == 200);
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError("the installed gateway did not get ready:\n" + run(box, "cat /tmp/isthmus.log"), e);
            }
            // From the launch (the container's clock is the host's) to the first /readyz 200.
            double startSeconds = (System.currentTimeMillis() - Long.parseLong(run(box, "cat /tmp/isthmus.started").strip()) / 1e6) / 1e3;
            // The launcher execs the package's own java, as the service user (setsid and setpriv exec too).
            assertThat(run(box, "pid=$(cat /tmp/isthmus.pid); stat -c %U /proc/$pid; tr '\\0' ' ' </proc/$pid/cmdline"))
                    .startsWith("isthmus\n/usr/lib/isthmus/runtime/bin/java -XX:+ExitOnOutOfMemoryError ");
            assertThat(Loopback.get(admin, "/status.json").body()).contains("\"state\":\"ready\"");

            // A WebRoute pair through the installed gateway.
            String head = TrafficMix.webRouteHead("deb-" + System.nanoTime());
            try (RawClient a = new RawClient(new InetSocketAddress("127.0.0.1", port), 10_000);
                 RawClient b = new RawClient(new InetSocketAddress("127.0.0.1", port), 10_000)) {
                a.send(head);
                await().atMost(Duration.ofSeconds(5)).until(() ->
                        Loopback.get(admin, "/metrics").body().contains("isthmus_webroute_waiting{protocol=\"webroute\"} 1.0"));
                b.send(head);
                assertThat(a.readHead()).startsWith("HTTP/1.1 101 ");
                assertThat(b.readHead()).startsWith("HTTP/1.1 101 ");
                byte[] payload = new byte[256 * 1024];
                new Random(5).nextBytes(payload);
                a.send(payload);
                assertThat(b.readExactly(payload.length)).isEqualTo(payload);
                b.send("bye".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                assertThat(a.readExactly(3)).asString(java.nio.charset.StandardCharsets.US_ASCII).isEqualTo("bye");
            }

            // SIGTERM drains and exits; then purge, and the host is as it was.
            // (no procps in minbase; the container's init is sleep, which leaves the exited JVM a zombie)
            run(box, "pid=$(cat /tmp/isthmus.pid); kill -TERM $pid; for i in $(seq 1 150); do"
                    + " if [ ! -d /proc/$pid ] || grep -q '^State:.*Z' /proc/$pid/status; then exit 0; fi; sleep 0.2; done;"
                    + " cat /tmp/isthmus.log; exit 1");
            assertThat(run(box, "cat /tmp/isthmus.log")).contains("listening on /127.0.0.1:" + port, "stopped");
            run(box, "DEBIAN_FRONTEND=noninteractive apt-get purge -y -q isthmus");
            assertThat(box.execInContainer("getent", "passwd", "isthmus").getExitCode()).isNotZero();
            assertThat(box.execInContainer("getent", "group", "isthmus").getExitCode()).isNotZero();
            Set<String> was = files(before);
            Set<String> is = files(run(box, SNAPSHOT));
            assertThat(is.stream().filter(f -> !was.contains(f)).toList()).as("files left after purge").isEmpty();
            assertThat(was.stream().filter(f -> !is.contains(f)).toList()).as("files gone after purge").isEmpty();

            System.out.printf("DebPackageIT: %s is %.1f MB; apt-get install %.1f s; start to /readyz %.2f s%n",
                    deb.getFileName(), Files.size(deb) / 1e6, installSeconds, startSeconds);
        }
    }
}
