package io.isthmus.core.config;

/** A configuration the gateway will not start with; the message is one line naming the key path. */
public final class InvalidConfigException extends RuntimeException {

    private final String keyPath;

    public InvalidConfigException(String keyPath, String problem) {
        super(keyPath + ": " + problem);
        this.keyPath = keyPath;
    }

    public String keyPath() {
        return keyPath;
    }
}
