package io.isthmus.rawsocket.target;

import io.isthmus.core.config.HostPort;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * websockify's TokenFile: one {@code NAME: host:port} per line, {@code #} comments, blank lines ignored.
 * Lookups read an immutable map; {@link #reloadIfChanged()} (called off the event loops, by a timer) reads
 * the file again when its modification time or size changed, so a deployment can add a VNC host without a
 * restart. A file that cannot be read keeps the last good map. Token names are never logged.
 */
public final class TokenFile {

    private static final Logger LOG = LoggerFactory.getLogger(TokenFile.class);

    private final Path file;
    private volatile Map<String, HostPort> entries = Map.of();
    private FileTime lastModified;
    private long lastSize = -1;

    public TokenFile(Path file) {
        this.file = file;
        reloadIfChanged();
    }

    /** The target of {@code name}, or null. */
    public HostPort lookup(String name) {
        return entries.get(name);
    }

    public int size() {
        return entries.size();
    }

    /** Re-reads the file when it changed; returns whether it did. Blocking: never on an event loop. */
    public synchronized boolean reloadIfChanged() {
        FileTime modified;
        long size;
        try {
            modified = Files.getLastModifiedTime(file);
            size = Files.size(file);
        } catch (IOException e) {
            if (lastSize != -2) {
                LOG.warn("token file {} cannot be read ({}); keeping {} entries", file, e.getClass().getSimpleName(), entries.size());
                lastSize = -2;
            }
            return false;
        }
        if (modified.equals(lastModified) && size == lastSize) {
            return false;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            LOG.warn("token file {} cannot be read ({}); keeping {} entries", file, e.getClass().getSimpleName(), entries.size());
            return false;
        }
        entries = parse(lines, file.toString());
        lastModified = modified;
        lastSize = size;
        LOG.info("token file {} loaded: {} entries", file, entries.size());
        return true;
    }

    public Path file() {
        return file;
    }

    /**
     * Hot reload, first phase: reads and parses the file now, changed or not, without using it; throws
     * {@link java.io.UncheckedIOException} when it cannot be read. {@link #use} puts the result in force.
     */
    public Map<String, HostPort> readNow() {
        try {
            return parse(Files.readAllLines(file, StandardCharsets.UTF_8), file.toString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + file + " (" + e.getClass().getSimpleName() + ")", e);
        }
    }

    /** Hot reload, second phase: these entries are in force from now on. */
    public synchronized void use(Map<String, HostPort> next) {
        entries = next;
        LOG.info("token file {} loaded: {} entries", file, next.size());
    }

    /** Parses TokenFile lines; a malformed line is skipped with a warning naming its number, not its content. */
    static Map<String, HostPort> parse(List<String> lines, String source) {
        Map<String, HostPort> map = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                LOG.warn("{} line {}: expected NAME: host:port", source, i + 1);
                continue;
            }
            String name = line.substring(0, colon).strip();
            try {
                HostPort target = HostPort.parse(line.substring(colon + 1).strip());
                // A host is a name or an address: no blanks or control characters (brackets could hide them).
                if (target.port() == 0 || target.host().isEmpty()
                        || target.host().chars().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))) {
                    throw new IllegalArgumentException("no port");
                }
                map.put(name, target);
            } catch (IllegalArgumentException e) {
                LOG.warn("{} line {}: expected NAME: host:port", source, i + 1);
            }
        }
        return Map.copyOf(map);
    }
}
