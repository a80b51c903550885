package io.isthmus.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A child process with stdout and stderr in files (a full pipe never blocks it), always killed on close.
 * Integration tests run the built {@code target/isthmus} through this, as operators and systemd do.
 */
final class ChildProcess implements AutoCloseable {

    private final Process process;
    private final Path stdout;
    private final Path stderr;
    private final List<String> command;

    private ChildProcess(Process process, Path stdout, Path stderr, List<String> command) {
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
        this.command = command;
    }

    /** The executable {@code mvn package} built; missing or not executable fails the test, never skips it. */
    static Path executable() {
        Path exe = Path.of(System.getProperty("isthmus.executable", "target/isthmus"));
        assertThat(exe).as("the built executable; run `mvn package` (or verify) first").isRegularFile().isExecutable();
        return exe.toAbsolutePath();
    }

    static ChildProcess start(Path dir, Map<String, String> env, List<String> command) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
        Map<String, String> environment = pb.environment();
        // Same JDK as the test, chosen the way operators choose it: the launcher reads JAVA_HOME.
        environment.put("JAVA_HOME", System.getProperty("java.home"));
        environment.put("JAVA_OPTS", "-Xmx256m");
        environment.remove("ISTHMUS_LISTEN");
        environment.remove("ISTHMUS_ADMIN_LISTEN");
        environment.putAll(env);
        Path out = Files.createTempFile(dir, "stdout", ".log");
        Path err = Files.createTempFile(dir, "stderr", ".log");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
        Process p = pb.start();
        p.getOutputStream().close();
        return new ChildProcess(p, out, err, command);
    }

    /** Runs to completion within {@code limit}. */
    static ChildProcess run(Path dir, Duration limit, String... command) throws IOException, InterruptedException {
        ChildProcess child = start(dir, Map.of(), List.of(command));
        child.awaitExit(limit);
        return child;
    }

    Process process() {
        return process;
    }

    /** Waits for the exit within {@code limit} and returns the exit code; fails (with the output) if still running. */
    int awaitExit(Duration limit) throws InterruptedException {
        if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            fail("still running after " + limit + ": " + this);
        }
        return process.exitValue();
    }

    int exitCode() {
        return process.exitValue();
    }

    String stdout() {
        return read(stdout);
    }

    String stderr() {
        return read(stderr);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return String.join(" ", command) + (process.isAlive() ? " (running)" : " (exit " + process.exitValue() + ")")
                + "\n--- stdout\n" + stdout() + "--- stderr\n" + stderr();
    }

    /** SIGTERM first so the child cleans up (nginx stops its workers), then SIGKILL whatever is left. */
    @Override
    public void close() throws InterruptedException {
        List<ProcessHandle> family = process.descendants().toList();
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
        family.forEach(ProcessHandle::destroyForcibly);
    }
}
