package io.isthmus.core.config;

/** A configuration the gateway will not start with; the message is one line naming the key path. */
public final class InvalidConfigException extends RuntimeException {

    private final String keyPath;

    public InvalidConfigException(String keyPath, String problem) {
        // One log line, whatever a quoted key or a parser message carried.
        super((keyPath + ": " + problem).replace("\r", "\\r").replace("\n", "\\n"));
        this.keyPath = keyPath;
    }

    public String keyPath() {
        return keyPath;
    }
}
