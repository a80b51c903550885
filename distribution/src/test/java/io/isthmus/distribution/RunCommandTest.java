package io.isthmus.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The failures of {@code run} that happen before it would block; serving is covered by ExecutableIT. */
class RunCommandTest {

    @TempDir
    Path dir;

    @Test
    void anInvalidConfigExitsTwoBeforeBindingAnything() throws IOException {
        Path file = Files.writeString(dir.resolve("bad.conf"), "isthmus.shutdown.drain-timeout = soon\n");
        Cli cli = Cli.run("run", "--config", file.toString());
        assertThat(cli.exitCode()).as(cli.toString()).isEqualTo(2);
        assertThat(cli.err().lines()).singleElement().asString()
                .startsWith("isthmus: invalid configuration: isthmus.shutdown.drain-timeout");
    }

    @Test
    void aPortInUseExitsOneWithOneLineNamingTheAddresses() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String listen = "127.0.0.1:" + taken.getLocalPort();
            Path file = Files.writeString(dir.resolve("busy.conf"),
                    "isthmus { listen = \"" + listen + "\", admin.enabled = false }\n");
            Cli cli = Cli.run("run", "--config", file.toString());
            assertThat(cli.exitCode()).as(cli.toString()).isEqualTo(1);
            assertThat(cli.err().lines()).singleElement().asString()
                    .startsWith("isthmus: cannot listen: ")
                    .containsIgnoringCase("address already in use")
                    .contains(listen);
        }
    }
}
