package io.isthmus.core.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a Node.js script against a gateway under test, with the real npm clients of {@code testing/npm}
 * (installed by {@code ./test.sh}) resolvable through {@code NODE_PATH}. Scripts are CommonJS
 * ({@code .cjs}): {@code NODE_PATH} does not apply to ES-module imports.
 *
 * <p>Node and the clients are required, never optional: when they are missing the run fails and says
 * how to install them.
 */
public final class NodeScripts {

    private NodeScripts() {
    }

    /** What one script run printed and how it ended. */
    public record Run(int exitCode, String stdout, String stderr) {

        /** The last non-blank line of stdout: where scripts print their JSON report. */
        public String lastLine() {
            String[] lines = stdout.strip().split("\n");
            return lines[lines.length - 1];
        }

        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
        }
    }

    /** {@code testing/} of the repository, found by walking up from the working directory. */
    public static Path testingDir() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("testing/npm/package.json"))) {
                return dir.resolve("testing");
            }
        }
        throw new AssertionError("testing/npm/package.json not found above " + Path.of("").toAbsolutePath());
    }

    /** {@code testing/npm/node_modules}, or a failure that tells how to install it. */
    public static Path nodeModules() {
        Path modules = testingDir().resolve("npm/node_modules");
        if (!Files.isDirectory(modules)) {
            throw new AssertionError("the npm test clients are not installed (" + modules
                    + "); run ./test.sh, or testing/install-deps.sh, from the repository root");
        }
        return modules;
    }

    /** Runs {@code node script args…} and waits at most {@code limit}; the process is killed past it. */
    public static Run run(Path script, List<String> args, Map<String, String> env, Duration limit)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("node", script.toString()));
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("NODE_PATH", nodeModules().toString());
        builder.environment().putAll(env);
        Path out = Files.createTempFile("isthmus-node", ".out");
        Path err = Files.createTempFile("isthmus-node", ".err");
        builder.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new AssertionError("node is not installed; run ./test.sh (it installs Debian's nodejs)", e);
        }
        try {
            if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("node " + script.getFileName() + " did not finish within " + limit
                        + "\n--- stdout\n" + Files.readString(out) + "\n--- stderr\n" + Files.readString(err));
            }
            return new Run(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            process.destroyForcibly();
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
