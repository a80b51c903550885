package io.isthmus.core.reload;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

/**
 * A part of the core or of a plugin that takes new material (keys, secrets, a token file, a certificate)
 * from a reloaded config without a restart and without touching live connections. Plugins contribute
 * theirs with {@code Multibinder.newSetBinder(binder(), Reloadable.class)}.
 *
 * <p>A reload is two-phase across every part, so it applies everywhere or nowhere: each part first
 * {@link #prepare}s from the new tree — building and checking everything, changing nothing in force, and
 * throwing to refuse — and only when every part has prepared are all the results {@link Staged#commit
 * committed}. Both run on the reloading thread (SIGHUP or the file watcher), never on an event loop, so
 * prepare may read files.
 */
public interface Reloadable {

    /** A short name for the log line: {@code "remoted keys"}, {@code "tls certificate"}. */
    String name();

    /**
     * Builds this part's new material from {@code next}; throws (any runtime exception, ideally an
     * {@link io.isthmus.core.config.InvalidConfigException} naming the key) when it cannot be used.
     */
    Staged prepare(ReloadContext next);

    /**
     * The config keys this part puts in force (full paths, e.g. {@code isthmus.plugins.remoted.server-keys};
     * a key covers everything below it). A reload that changes other keys says they need a restart.
     */
    default List<String> keys() {
        return List.of();
    }

    /** Files this part reads besides the config file (a certificate, a token file): the watcher watches them too. */
    default List<Path> files() {
        return List.of();
    }

    /** A part that puts {@code keys} in force with {@code prepare}: what a plugin module usually provides. */
    static Reloadable of(String name, List<String> keys, Function<ReloadContext, Staged> prepare) {
        return new Reloadable() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Staged prepare(ReloadContext next) {
                return prepare.apply(next);
            }

            @Override
            public List<String> keys() {
                return keys;
            }
        };
    }

    /** Material that was built and checked; {@link #commit} puts it in force and must not fail. */
    @FunctionalInterface
    interface Staged {
        Staged NOTHING = () -> { };

        void commit();
    }
}
