package io.isthmus.remoted;

import static io.isthmus.core.config.ConfigValueException.require;

import io.isthmus.core.config.ByteSize;
import io.isthmus.core.spi.PluginConfig;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;

/**
 * The {@code isthmus.plugins.remoted} block; every key is documented in this module's reference.conf.
 *
 * @param serverKeys      keys a firewalled server registers and connects back with
 * @param clientKeys      keys clients reach registered servers with
 * @param pingInterval    silence on a registration WebSocket after which the gateway pings (reference: 30 s)
 * @param deadPeerTimeout silence after which a registration WebSocket is dropped; 0 keeps it forever, as the
 *                        reference does
 */
public record RemotedConfig(boolean enabled, String prefix, List<String> serverKeys, List<String> clientKeys,
                            Duration pingInterval, Duration deadPeerTimeout, ByteSize maxFramePayload,
                            Duration waitTimeout, int maxWaiting, int maxWaitingPerIp) implements PluginConfig {

    /** A key shorter than this is guessable; the reference's installer makes 64 characters. */
    static final int MIN_KEY_LENGTH = 16;

    public RemotedConfig {
        require(prefix != null && prefix.startsWith("/"), "prefix", "must start with '/'");
        serverKeys = List.copyOf(serverKeys);
        clientKeys = List.copyOf(clientKeys);
        for (int i = 0; i < serverKeys.size(); i++) {
            require(serverKeys.get(i).length() >= MIN_KEY_LENGTH, "server-keys[" + i + "]",
                    "a key must have at least " + MIN_KEY_LENGTH + " characters");
        }
        for (int i = 0; i < clientKeys.size(); i++) {
            require(clientKeys.get(i).length() >= MIN_KEY_LENGTH, "client-keys[" + i + "]",
                    "a key must have at least " + MIN_KEY_LENGTH + " characters");
        }
        var both = new HashSet<>(serverKeys);
        both.retainAll(clientKeys);
        require(both.isEmpty(), "client-keys", "a key cannot be both a server key and a client key");
        require(!pingInterval.isNegative() && !pingInterval.isZero(), "ping-interval", "must be positive");
        require(!deadPeerTimeout.isNegative(), "dead-peer-timeout", "must be 0 (never) or positive");
        require(deadPeerTimeout.isZero() || deadPeerTimeout.compareTo(pingInterval) > 0, "dead-peer-timeout",
                "must be longer than ping-interval, or 0");
        require(maxFramePayload.bytes() >= 1024, "max-frame-payload", "must be at least 1024 bytes");
        require(!waitTimeout.isNegative() && !waitTimeout.isZero(), "wait-timeout", "must be positive");
        require(maxWaiting >= 1, "max-waiting", "must be at least 1");
        require(maxWaitingPerIp >= 1, "max-waiting-per-ip", "must be at least 1");
    }
}
