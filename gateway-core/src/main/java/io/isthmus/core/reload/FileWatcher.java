package io.isthmus.core.reload;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Polls files for a change of modification time or size (a rename over the file, as certbot and editors do,
 * counts) and runs an action once per change seen. Polling, not a WatchService: it sees replaced files and
 * symlink swaps (Kubernetes secrets) the same way, and costs a stat per file per interval on its own thread.
 * A missing file is a state too, so its return is a change.
 */
final class FileWatcher implements AutoCloseable {

    private final Supplier<List<Path>> files;
    private final Duration interval;
    private final Runnable onChange;
    private final Map<Path, String> seen = new HashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "isthmus-config-watch");
        t.setDaemon(true);
        return t;
    });

    FileWatcher(Supplier<List<Path>> files, Duration interval, Runnable onChange) {
        this.files = files;
        this.interval = interval;
        this.onChange = onChange;
    }

    void start() {
        changed();
        long every = interval.toMillis();
        timer.scheduleWithFixedDelay(this::poll, every, every, TimeUnit.MILLISECONDS);
    }

    private void poll() {
        try {
            if (changed()) {
                onChange.run();
            }
        } catch (RuntimeException e) {
            // A failing poll must not end the schedule; the reload logs its own failures.
            org.slf4j.LoggerFactory.getLogger(FileWatcher.class).warn("config watch: {}", e.toString());
        }
    }

    /** Records every file's fingerprint; true if any differs from the last poll. */
    private boolean changed() {
        boolean any = false;
        for (Path p : List.copyOf(files.get())) {
            String print = fingerprint(p);
            String before = seen.put(p, print);
            any |= before != null && !Objects.equals(before, print);
        }
        return any;
    }

    private static String fingerprint(Path p) {
        try {
            return Files.getLastModifiedTime(p).toMillis() + "/" + Files.size(p);
        } catch (IOException e) {
            return "missing";
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
