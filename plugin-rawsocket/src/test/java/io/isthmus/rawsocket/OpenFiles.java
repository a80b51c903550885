package io.isthmus.rawsocket;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The descriptors this JVM holds open, by kind, read from {@code /proc/self/fd}: the gateway runs in the test's
 * process, so a pipe or socket it fails to close shows up here.
 */
public record OpenFiles(int pipes, int sockets, int total) {

    /** What is open now (Linux only). */
    public static OpenFiles now() {
        Path dir = Path.of("/proc/self/fd");
        List<Path> fds;
        try (Stream<Path> s = Files.list(dir)) {
            fds = s.toList();
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + dir, e);
        }
        int pipes = 0;
        int sockets = 0;
        int total = 0;
        for (Path fd : fds) {
            String target;
            try {
                target = Files.readSymbolicLink(fd).toString();
            } catch (IOException e) {
                continue; // closed since the listing (or the listing's own descriptor)
            }
            total++;
            if (target.startsWith("pipe:")) {
                pipes++;
            } else if (target.startsWith("socket:")) {
                sockets++;
            }
        }
        return new OpenFiles(pipes, sockets, total);
    }
}
