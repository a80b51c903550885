package io.isthmus.core.splice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.ProbePairs;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import io.netty.channel.epoll.Epoll;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The kernel path needs a pipe (two descriptors) per direction, made on the first byte. When none can be
 * made — here the process's descriptor limit is lowered to what is already open, as a full table or the
 * per-user pipe limit would — the direction falls back to copying and no byte is lost.
 */
class ZeroCopyPipeLimitTest {

    @Test
    void aDirectionThatGetsNoPipeCopiesEveryByte() throws Exception {
        assumeTrue(Epoll.isAvailable(), "zero-copy needs epoll");
        assumeTrue(new File("/usr/bin/prlimit").canExecute(), "needs prlimit (util-linux)");
        long pid = ProcessHandle.current().pid();
        // A shell that changes this JVM's soft descriptor limit on request: once the limit is down, the JVM
        // itself could not start a process to raise it again.
        Process limiter = new ProcessBuilder("bash", "-c",
                "while read n; do prlimit --pid " + pid + " --nofile=$n: && echo ok || echo failed; done")
                .redirectErrorStream(true).start();
        Writer toLimiter = new OutputStreamWriter(limiter.getOutputStream(), StandardCharsets.US_ASCII);
        BufferedReader fromLimiter = new BufferedReader(new InputStreamReader(limiter.getInputStream(), StandardCharsets.US_ASCII));
        long soft = softDescriptorLimit();
        try (Gateway gateway = TestGateways.start("isthmus.transport = epoll\nisthmus.splice.zero-copy = true\n")) {
            // A first pair loads every class of the path: loading one from a directory needs a descriptor.
            relay(gateway, null, null);
            relay(gateway, toLimiter, fromLimiter);
            var fallbacks = gateway.metrics().registry().find("isthmus.zero.copy.fallbacks").tag("reason", "pipe").counter();
            assertThat(fallbacks).isNotNull();
            assertThat(fallbacks.count()).isGreaterThanOrEqualTo(1);
        } finally {
            setLimit(toLimiter, fromLimiter, soft);
            limiter.destroy();
        }
    }

    private static void relay(Gateway gateway, Writer toLimiter, BufferedReader fromLimiter) throws Exception {
        byte[] payload = new byte[1024 * 1024];
        new Random(9).nextBytes(payload);
        try (ProbePairs.Linked pair = ProbePairs.link(gateway, "?zerocopy=true")) {
            RawClient a = pair.a();
            RawClient b = pair.b();
            await().atMost(Duration.ofSeconds(5)).until(() -> pair.splice().mode().equals(Splice.SPLICE));
            if (toLimiter != null) {
                // Nothing new can be opened from here: no pipe for the first spliced byte.
                setLimit(toLimiter, fromLimiter, openDescriptors());
            }
            try {
                a.send(payload);
                assertThat(b.readExactly(payload.length)).isEqualTo(payload);
            } finally {
                if (toLimiter != null) {
                    setLimit(toLimiter, fromLimiter, softDescriptorLimit());
                }
            }
            a.shutdownOutput();
            assertThat(b.readToEof()).isEmpty();
            b.send("bye");
            b.shutdownOutput();
            assertThat(new String(a.readToEof(), StandardCharsets.US_ASCII)).isEqualTo("bye");
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> gateway.splices().liveCount() == 0);
    }

    private static long savedSoft = -1;

    private static long softDescriptorLimit() throws Exception {
        if (savedSoft < 0) {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    savedSoft = Long.parseLong(line.substring(26).trim().split("\\s+")[0]);
                }
            }
        }
        return savedSoft;
    }

    private static long openDescriptors() {
        String[] fds = new File("/proc/self/fd").list();
        // Listing held one descriptor of its own, closed again by now.
        return fds == null ? 1024 : fds.length;
    }

    private static void setLimit(Writer toLimiter, BufferedReader fromLimiter, long n) throws Exception {
        toLimiter.write(n + "\n");
        toLimiter.flush();
        assertThat(fromLimiter.readLine()).isEqualTo("ok");
    }
}
