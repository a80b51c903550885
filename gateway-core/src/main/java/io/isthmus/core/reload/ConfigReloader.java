package io.isthmus.core.reload;

import com.typesafe.config.Config;
import io.isthmus.core.ValidatedConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hot reload: loads the config tree again (SIGHUP, the file watcher, or a call), validates all of it, lets
 * every {@link Reloadable} prepare from it and commits them all — or, if anything fails, commits nothing:
 * one ERROR line names what was refused and the config in force stays. Live connections are never touched;
 * new material applies to new handshakes and requests. Keys that no reloadable part covers (ports,
 * limits, transport, …) take effect at the next restart.
 *
 * <p>Meter: {@code isthmus_config_reloads_total{result="ok"|"failed"}}. Reloads run one at a time on the
 * reloader's own thread.
 */
public final class ConfigReloader implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigReloader.class);

    private final List<Reloadable> parts;
    private final Counter ok;
    private final Counter failed;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "isthmus-reload");
        t.setDaemon(true);
        return t;
    });
    private volatile Supplier<Config> source;
    private Config current;
    private volatile Path configFile;
    private FileWatcher watcher;

    /** @param current the tree the gateway started with (to tell which changed keys need a restart) */
    public ConfigReloader(List<Reloadable> parts, MeterRegistry registry, Config current) {
        this.parts = List.copyOf(parts);
        this.current = current;
        this.ok = counter(registry, "ok");
        this.failed = counter(registry, "failed");
    }

    private static Counter counter(MeterRegistry registry, String result) {
        return Counter.builder("isthmus.config.reloads").tag("result", result)
                .description("Config reloads (SIGHUP, file watcher) by result; a failed one left the previous config in force")
                .register(registry);
    }

    /**
     * Where a reload reads the tree from (typically {@code ConfigLoader.load(file)}); {@code file} (may be
     * null) is the operator's file, which the watcher watches.
     */
    public void source(Supplier<Config> source, Path file) {
        this.source = source;
        this.configFile = file;
    }

    /** The reloadable parts, in the order they prepare and commit. */
    public List<Reloadable> parts() {
        return parts;
    }

    /** Reloads on the caller's thread; true when the new config is in force. Never call on an event loop. */
    public synchronized boolean reload(String trigger) {
        Supplier<Config> from = source;
        if (from == null) {
            LOG.warn("config reload ({}) ignored: this gateway was started without a config source", trigger);
            return false;
        }
        long began = System.nanoTime();
        List<Reloadable.Staged> staged = new ArrayList<>(parts.size());
        String stage = "config";
        Config root;
        try {
            root = from.get();
            ReloadContext next = new ReloadContext(root, ValidatedConfig.of(root));
            for (Reloadable part : parts) {
                stage = part.name();
                staged.add(part.prepare(next));
            }
        } catch (RuntimeException e) {
            failed.increment();
            LOG.error("config reload ({}) refused, the previous config stays in force: {}: {}", trigger, stage, describe(e));
            return false;
        }
        staged.forEach(Reloadable.Staged::commit);
        ok.increment();
        LOG.info("config reloaded ({}) in {} ms: {}", trigger, (System.nanoTime() - began) / 1_000_000,
                parts.stream().map(Reloadable::name).toList());
        List<String> restart = needRestart(current, root);
        if (!restart.isEmpty()) {
            LOG.warn("config reload ({}): changes to {} take effect at the next restart", trigger, restart);
        }
        current = root;
        return true;
    }

    /** Reloads on the reloader's thread (a signal handler must not wait for file reads and TLS set-up). */
    public CompletableFuture<Boolean> reloadAsync(String trigger) {
        return CompletableFuture.supplyAsync(() -> reload(trigger), thread);
    }

    /** Watches the config file and every part's {@link Reloadable#files() files}, reloading when one changes. */
    public synchronized void watch(java.time.Duration interval) {
        if (watcher == null) {
            watcher = new FileWatcher(this::watchedFiles, interval, () -> reload("file changed"));
            watcher.start();
        }
    }

    private List<Path> watchedFiles() {
        List<Path> files = new ArrayList<>();
        if (configFile != null) {
            files.add(configFile);
        }
        for (Reloadable part : parts) {
            files.addAll(part.files());
        }
        return files;
    }

    /** Keys under {@code isthmus} whose value changed and that no part covers; names only, never values. */
    List<String> needRestart(Config before, Config after) {
        if (before == null) {
            return List.of();
        }
        java.util.Map<String, Object> old = leaves(before);
        java.util.Map<String, Object> now = leaves(after);
        java.util.SortedSet<String> changed = new java.util.TreeSet<>();
        for (String key : union(old.keySet(), now.keySet())) {
            if (!java.util.Objects.equals(old.get(key), now.get(key)) && !covered(key)) {
                changed.add(key);
            }
        }
        return List.copyOf(changed);
    }

    private boolean covered(String key) {
        for (Reloadable part : parts) {
            for (String k : part.keys()) {
                if (key.equals(k) || key.startsWith(k + ".")) {
                    return true;
                }
            }
        }
        return false;
    }

    private static java.util.Map<String, Object> leaves(Config root) {
        java.util.Map<String, Object> m = new java.util.HashMap<>();
        if (root.hasPath("isthmus")) {
            root.getConfig("isthmus").entrySet().forEach(e -> m.put("isthmus." + e.getKey(), e.getValue().unwrapped()));
        }
        return m;
    }

    private static java.util.Set<String> union(java.util.Set<String> a, java.util.Set<String> b) {
        java.util.Set<String> u = new java.util.HashSet<>(a);
        u.addAll(b);
        return u;
    }

    private static String describe(RuntimeException e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m.lines().findFirst().orElse(m);
    }

    @Override
    public synchronized void close() {
        if (watcher != null) {
            watcher.close();
        }
        thread.shutdownNow();
    }
}
