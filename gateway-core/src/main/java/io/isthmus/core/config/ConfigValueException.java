package io.isthmus.core.config;

/**
 * Thrown by a config record's constructor for a value it refuses; {@code key} is relative to the
 * record (e.g. {@code listen}), and the binder prefixes the record's own path.
 */
public final class ConfigValueException extends IllegalArgumentException {

    private final String key;

    public ConfigValueException(String key, String problem) {
        super(problem);
        this.key = key;
    }

    public String key() {
        return key;
    }

    /** Throws unless {@code ok}. */
    public static void require(boolean ok, String key, String problem) {
        if (!ok) {
            throw new ConfigValueException(key, problem);
        }
    }

    /** Parses a {@code host:port} value of {@code key}. */
    public static HostPort hostPort(String key, String value) {
        try {
            return HostPort.parse(value);
        } catch (IllegalArgumentException e) {
            throw new ConfigValueException(key, e.getMessage());
        }
    }
}
