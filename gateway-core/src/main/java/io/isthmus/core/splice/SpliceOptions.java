package io.isthmus.core.splice;

import java.time.Duration;
import java.util.Objects;

/**
 * How one splice behaves.
 *
 * @param protocol    the plugin's name, for metrics and the access log
 * @param idleTimeout close both sides after this long without a byte either way
 * @param halfClose   pass an end of input on as a half-close where both sides can carry it; otherwise the
 *                    first end of input closes both sides once queued bytes are flushed
 * @param zeroCopy    allow the kernel splice path where both sides are eligible (plain TCP, epoll, one loop)
 */
public record SpliceOptions(String protocol, Duration idleTimeout, boolean halfClose, boolean zeroCopy) {

    public SpliceOptions {
        Objects.requireNonNull(protocol, "protocol");
        if (idleTimeout == null || idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("idle timeout must be positive");
        }
    }

    public static SpliceOptions of(String protocol, Duration idleTimeout) {
        return new SpliceOptions(protocol, idleTimeout, true, false);
    }

    public SpliceOptions withHalfClose(boolean on) {
        return new SpliceOptions(protocol, idleTimeout, on, zeroCopy);
    }

    public SpliceOptions withZeroCopy(boolean on) {
        return new SpliceOptions(protocol, idleTimeout, halfClose, on);
    }
}
