package io.isthmus.rawsocket.wisp;

import io.isthmus.core.config.ByteSize;
import io.isthmus.core.config.ConfigValueException;
import io.isthmus.core.egress.EgressRules;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The {@code isthmus.plugins.rawsocket.wisp} block; every key is documented in this module's reference.conf.
 */
public record WispConfig(
        boolean enabled,
        String path,
        boolean v2,
        int buffer,
        int continueEvery,
        ByteSize maxMessage,
        int maxStreams,
        int maxWebsocketsPerIp,
        boolean udp,
        boolean allowDirectIp,
        List<String> allowedOrigins,
        String motd,
        Password password,
        Duration idleTimeout,
        Duration udpIdleTimeout,
        Duration handshakeTimeout,
        Duration pingInterval,
        boolean wsproxy,
        boolean directSockets,
        String directSocketsScript,
        EgressRules egress) {

    public WispConfig {
        ConfigValueException.require(path != null && path.startsWith("/") && path.endsWith("/"), "path",
                "must start and end with '/' (Wisp clients refuse an endpoint without the trailing slash)");
        ConfigValueException.require(buffer >= 1, "buffer", "must be at least 1");
        ConfigValueException.require(continueEvery >= 1 && continueEvery <= buffer, "continue-every",
                "must be between 1 and buffer");
        ConfigValueException.require(maxMessage != null && maxMessage.bytes() >= 64 && maxMessage.bytes() <= 64L << 20,
                "max-message", "must be between 64 bytes and 64m");
        ConfigValueException.require(maxStreams >= 1, "max-streams", "must be at least 1");
        ConfigValueException.require(maxWebsocketsPerIp >= 1, "max-websockets-per-ip", "must be at least 1");
        allowedOrigins = List.copyOf(allowedOrigins);
        ConfigValueException.require(motd != null, "motd", "must be a string (empty: none)");
        for (Duration d : new Duration[] {idleTimeout, udpIdleTimeout, handshakeTimeout, pingInterval}) {
            ConfigValueException.require(d != null && !d.isNegative() && !d.isZero(), "idle-timeout",
                    "idle-timeout, udp-idle-timeout, handshake-timeout and ping-interval must be positive");
        }
        ConfigValueException.require(directSocketsScript != null
                && (directSocketsScript.isEmpty() || directSocketsScript.startsWith("/")), "direct-sockets-script",
                "must be a path starting with '/', or empty");
        if (egress == null) {
            egress = EgressRules.none();
        }
        ConfigValueException.require(password != null, "password", "missing");
    }

    /** Wisp v2 password authentication (extension 0x02). */
    public record Password(boolean required, Map<String, String> users) {

        public Password {
            users = Map.copyOf(users);
            ConfigValueException.require(!required || !users.isEmpty(), "users",
                    "must name at least one user when a password is required");
        }

        /** Never prints the passwords. */
        @Override
        public String toString() {
            return "Password[required=" + required + ", users=" + users.keySet() + "]";
        }
    }
}
