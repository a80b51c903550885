package io.isthmus.wstunnel;

import static io.isthmus.core.config.ConfigValueException.require;

import io.isthmus.core.config.ByteSize;
import io.isthmus.core.spi.PluginConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * The {@code isthmus.plugins.wstunnel} block; every key is documented in this module's reference.conf.
 *
 * @param urlPrefix   what viewers put before {@code /<id>}; empty: {@code http(s)://<listen><prefix>}
 * @param secrets     HS256 secrets a token may be signed with (two for rotation); empty: one generated
 * @param audience    the {@code aud} a token must name when it names one; empty: tokens with an aud are refused
 * @param streamWindow bytes a client may send on one stream before we acknowledge them
 * @param viewerIdleTimeout how long a viewer's keep-alive connection may wait for its next request
 */
public record WstunnelConfig(boolean enabled, String prefix, String urlPrefix, List<String> secrets, String audience,
                             Duration clockSkew, Duration maxTokenLifetime, Duration pingInterval,
                             int maxStreamsPerSession, Duration openTimeout, ByteSize streamWindow,
                             ByteSize maxMessageSize, Duration idleTimeout, int maxSessions,
                             Duration viewerIdleTimeout) implements PluginConfig {

    /** HS256 wants a key at least as long as its hash (RFC 7518 §3.2); the JWT library insists. */
    static final int MIN_SECRET_BYTES = 32;
    /** The largest DAT a current client sends is 32 KiB + 5; a stream's whole window must fit in a message. */
    static final long MIN_MESSAGE = 4L * 1024 * 1024 + 5;

    public WstunnelConfig {
        require(prefix != null && prefix.startsWith("/"), "prefix", "must start with '/'");
        urlPrefix = urlPrefix == null ? "" : urlPrefix;
        require(urlPrefix.isEmpty() || urlPrefix.startsWith("http://") || urlPrefix.startsWith("https://"), "url-prefix",
                "must start with http:// or https://, or be empty");
        secrets = List.copyOf(secrets);
        require(secrets.size() <= 2, "secrets", "at most two secrets (the current and the next, for rotation)");
        for (int i = 0; i < secrets.size(); i++) {
            require(secrets.get(i).getBytes(StandardCharsets.UTF_8).length >= MIN_SECRET_BYTES, "secrets[" + i + "]",
                    "a secret must have at least " + MIN_SECRET_BYTES + " bytes");
        }
        audience = audience == null ? "" : audience;
        require(!clockSkew.isNegative(), "clock-skew", "must not be negative");
        require(!maxTokenLifetime.isNegative() && !maxTokenLifetime.isZero(), "max-token-lifetime", "must be positive");
        require(!pingInterval.isNegative() && !pingInterval.isZero(), "ping-interval", "must be positive");
        require(maxStreamsPerSession >= 1, "max-streams-per-session", "must be at least 1");
        require(!openTimeout.isNegative() && !openTimeout.isZero(), "open-timeout", "must be positive");
        require(streamWindow.bytes() >= 1024 && streamWindow.bytes() <= 0xFFFF_FFFFL, "stream-window",
                "must be between 1k and 4g");
        require(maxMessageSize.bytes() >= MIN_MESSAGE && maxMessageSize.bytes() <= Integer.MAX_VALUE, "max-message-size",
                "must be at least 4 MiB + 5 bytes (a current client's window in one message)");
        require(!idleTimeout.isNegative() && !idleTimeout.isZero(), "idle-timeout", "must be positive");
        require(maxSessions >= 1, "max-sessions", "must be at least 1");
        require(!viewerIdleTimeout.isNegative() && !viewerIdleTimeout.isZero(), "viewer-idle-timeout", "must be positive");
    }

    /** The prefix without its trailing slash: {@code /wst/} and {@code /wst} both play the Go server's {@code /}. */
    public String mount() {
        return prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
    }
}
