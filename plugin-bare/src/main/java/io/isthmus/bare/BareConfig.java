package io.isthmus.bare;

import static io.isthmus.core.config.ConfigValueException.require;

import io.isthmus.core.config.ByteSize;
import io.isthmus.core.egress.EgressRules;
import io.isthmus.core.spi.PluginConfig;
import java.time.Duration;

/** The {@code isthmus.plugins.bare} block; every key is documented in this module's reference.conf. */
public record BareConfig(
        boolean enabled,
        String prefix,
        boolean legacyVersions,
        ManifestConfig manifest,
        UpstreamConfig upstream,
        WebSocketConfig websocket,
        Duration metaExpiry,
        RateLimitConfig rateLimit,
        EgressRules egress) implements PluginConfig {

    public BareConfig {
        require(prefix != null && prefix.startsWith("/"), "prefix", "must start with '/'");
        require(prefix.endsWith("/"), "prefix", "must end with '/' (the Bare directory)");
        require(positive(metaExpiry), "meta-expiry", "must be positive");
    }

    static boolean positive(Duration d) {
        return d != null && !d.isNegative() && !d.isZero();
    }

    /** Optional fields of the manifest at the prefix; empty strings are left out. */
    public record ManifestConfig(String maintainerEmail, String maintainerWebsite, String projectName,
                                 String projectDescription, String projectRepository, String projectVersion) {
    }

    /** Outbound HTTP to origins. */
    public record UpstreamConfig(Duration connectTimeout, Duration responseHeadTimeout, Duration idleTimeout,
                                 Duration poolIdleTimeout, int maxIdlePerOrigin, String trustCertificates,
                                 ByteSize maxResponseHead) {
        public UpstreamConfig {
            require(positive(connectTimeout), "connect-timeout", "must be positive");
            require(positive(responseHeadTimeout), "response-head-timeout", "must be positive");
            require(positive(idleTimeout), "idle-timeout", "must be positive");
            require(positive(poolIdleTimeout), "pool-idle-timeout", "must be positive");
            require(maxIdlePerOrigin >= 0 && maxIdlePerOrigin <= 1024, "max-idle-per-origin", "must be between 0 and 1024");
            require(trustCertificates != null, "trust-certificates", "must be a path or empty");
            require(maxResponseHead.bytes() >= 1024 && maxResponseHead.bytes() <= (1 << 20), "max-response-head",
                    "must be between 1k and 1m");
        }
    }

    /** WebSocket tunnels (v3 JSON handshake, v1/v2 raw tunnels). */
    public record WebSocketConfig(Duration connectMessageTimeout, Duration handshakeTimeout, Duration idleTimeout,
                                  ByteSize maxFramePayload, Duration pingInterval, Duration deadPeerTimeout) {
        public WebSocketConfig {
            require(positive(connectMessageTimeout), "connect-message-timeout", "must be positive");
            require(positive(handshakeTimeout), "handshake-timeout", "must be positive");
            require(positive(idleTimeout), "idle-timeout", "must be positive");
            require(maxFramePayload.bytes() >= 1024 && maxFramePayload.bytes() <= (64 << 20), "max-frame-payload",
                    "must be between 1k and 64m");
            require(positive(pingInterval), "ping-interval", "must be positive");
            require(deadPeerTimeout != null && !deadPeerTimeout.isNegative(), "dead-peer-timeout", "must be 0 or positive");
            require(deadPeerTimeout.isZero() || deadPeerTimeout.compareTo(pingInterval) > 0, "dead-peer-timeout",
                    "must exceed ping-interval (or be 0: never)");
        }
    }

    /** Requests per client address per window; off by default (the reference's limiter is always on). */
    public record RateLimitConfig(boolean enabled, int requests, Duration window) {
        public RateLimitConfig {
            require(requests >= 1, "requests", "must be at least 1");
            require(positive(window), "window", "must be positive");
        }
    }
}
