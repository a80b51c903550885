package io.isthmus.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tarball unpacks, with GNU tar as an operator would, into an install that checks its own config. */
class TarballIT {

    private static final Duration LIMIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void theTarballUnpacksToAWorkingInstall() throws Exception {
        String version = System.getProperty("isthmus.version", "");
        Path tarball = Path.of(System.getProperty("isthmus.tarball", "target/isthmus-" + version + ".tar.gz"));
        assertThat(tarball).as("the built tarball; run `mvn package` first").isRegularFile();

        ChildProcess untar = ChildProcess.run(dir, LIMIT, "tar", "-xzf", tarball.toAbsolutePath().toString());
        assertThat(untar.exitCode()).as(untar.toString()).isZero();
        Path home = dir.resolve("isthmus-" + version);

        Path exe = home.resolve("bin/isthmus");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(exe))).isEqualTo("rwxr-xr-x");
        assertThat(home.resolve("conf/isthmus.conf")).isRegularFile();
        assertThat(home.resolve("systemd/isthmus.service")).content().contains("ExecStart=/opt/isthmus/bin/isthmus run");
        assertThat(home.resolve("examples/nginx.conf")).content().contains("proxy_http_version 1.1");
        assertThat(home.resolve("examples/haproxy.cfg")).content().contains("timeout tunnel");
        assertThat(home.resolve("runtime/bin/java")).isExecutable();
        assertThat(home.resolve("README")).content().startsWith("Isthmus " + version);
        assertThat(home.resolve("monitoring/isthmus-dashboard.json")).content().contains("\"uid\": \"isthmus-gateway\"");
        assertThat(home.resolve("monitoring/isthmus-alerts.yml")).content().contains("alert: IsthmusDown");
        assertThat(home.resolve("monitoring/prometheus-scrape.yml")).content().contains("job_name: isthmus");

        ChildProcess check = ChildProcess.run(home, LIMIT, exe.toString(), "check-config", "conf/isthmus.conf");
        assertThat(check.exitCode()).as(check.toString()).isZero();
        assertThat(check.stdout()).startsWith("configuration OK");

        // Its own runtime: no JAVA_HOME, and no java (nor anything else) on PATH.
        Path emptyPath = Files.createDirectory(dir.resolve("empty-path"));
        ChildProcess alone = ChildProcess.start(home, java.util.Map.of("JAVA_HOME", "", "PATH", emptyPath.toString()),
                java.util.List.of(exe.toString(), "--version"));
        assertThat(alone.awaitExit(LIMIT)).as(alone.toString()).isZero();
        assertThat(alone.stdout()).startsWith("isthmus " + version);
    }
}
