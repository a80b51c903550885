package io.isthmus.rawsocket;

import static io.isthmus.core.config.ConfigValueException.require;

import io.isthmus.core.config.ByteSize;
import io.isthmus.core.config.ConfigValueException;
import io.isthmus.core.egress.EgressRules;
import io.isthmus.core.egress.TargetAllowList;
import io.isthmus.core.spi.PluginConfig;
import io.isthmus.rawsocket.wisp.WispConfig;
import io.isthmus.core.splice.DatagramEndpoint;
import java.time.Duration;
import java.util.List;

/**
 * The {@code isthmus.plugins.rawsocket} block; every key is documented in this module's reference.conf.
 * One block per endpoint kind ({@code websockify}, {@code wsproxy}, {@code udp}, {@code demo}); Wisp has its
 * own {@code wisp} block beside them and shares the rest (origins, caps, timeouts, tokens).
 */
public record RawSocketConfig(
        boolean enabled,
        String prefix,
        EgressRules egress,
        List<String> allowedOrigins,
        int maxConnectionsPerIp,
        Duration connectTimeout,
        Duration idleTimeout,
        Duration closeTimeout,
        Duration pingInterval,
        Duration deadPeerTimeout,
        ByteSize holdLimit,
        ByteSize maxMessageSize,
        TokensConfig tokens,
        OptionsConfig options,
        WebsockifyConfig websockify,
        WsproxyConfig wsproxy,
        UdpConfig udp,
        DemoConfig demo,
        WispConfig wisp) implements PluginConfig {

    public RawSocketConfig {
        require(prefix != null && prefix.startsWith("/") && prefix.endsWith("/"), "prefix", "must start and end with '/'");
        allowedOrigins = List.copyOf(allowedOrigins);
        for (int i = 0; i < allowedOrigins.size(); i++) {
            String o = allowedOrigins.get(i);
            require(o.equals("*") || o.matches("(?i)https?://[^/?#]+"), "allowed-origins[" + i + "]",
                    "an origin is \"*\" or scheme://host[:port] without a path, e.g. \"https://app.example.com\"");
        }
        require(maxConnectionsPerIp >= 1, "max-connections-per-ip", "must be at least 1");
        require(positive(connectTimeout) && connectTimeout.compareTo(Duration.ofMinutes(5)) <= 0,
                "connect-timeout", "must be between 1ms and 5m");
        require(positive(idleTimeout), "idle-timeout", "must be positive");
        require(!closeTimeout.isNegative() && closeTimeout.compareTo(Duration.ofMinutes(1)) <= 0,
                "close-timeout", "must be between 0 and 1m");
        require(positive(pingInterval), "ping-interval", "must be positive");
        require(deadPeerTimeout != null && !deadPeerTimeout.isNegative(), "dead-peer-timeout", "must be 0 or positive");
        require(deadPeerTimeout.isZero() || deadPeerTimeout.compareTo(pingInterval) > 0, "dead-peer-timeout",
                "must exceed ping-interval (or be 0: never)");
        require(holdLimit.bytes() >= 1024 && holdLimit.bytes() <= 16L << 20, "hold-limit", "must be between 1k and 16m");
        require(maxMessageSize.bytes() >= 1024 && maxMessageSize.bytes() <= 64L << 20, "max-message-size",
                "must be between 1k and 64m");
        require(options.maxIdleTimeout().compareTo(idleTimeout) >= 0, "options.max-idle-timeout",
                "must be at least idle-timeout");
    }

    /** The full path of an endpoint: the prefix followed by the endpoint's own path. */
    public String path(String endpointPath) {
        return prefix + endpointPath;
    }

    static boolean positive(Duration d) {
        return d != null && !d.isNegative() && !d.isZero();
    }

    static TargetAllowList allowList(List<String> hosts, List<String> ports) {
        try {
            return TargetAllowList.of(hosts, ports);
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            int colon = m.indexOf(':');
            throw new ConfigValueException(colon > 0 ? m.substring(0, colon) : "allow-hosts",
                    colon > 0 ? m.substring(colon + 1).trim() : m);
        }
    }

    static void checkPath(String key, String path, boolean mayBeEmpty) {
        require(path != null && (mayBeEmpty || !path.isEmpty()) && !path.startsWith("/") && !path.contains("?")
                && !path.contains("#"), key, "a path below the prefix, without a leading '/', e.g. \"websockify\"");
    }

    static String checkTarget(String key, String target) {
        if (!target.isEmpty()) {
            ConfigValueException.hostPort(key, target);
        }
        return target;
    }

    /**
     * Where {@code ?token=NAME} finds its target, for the websockify and udp endpoints.
     *
     * @param file           websockify's TokenFile format ({@code NAME: host:port} per line); empty for none
     * @param reloadInterval how often the file's modification time and size are looked at
     * @param jwt            signed tokens carrying the target
     */
    public record TokensConfig(String file, Duration reloadInterval, JwtConfig jwt) {
        public TokensConfig {
            require(reloadInterval.compareTo(Duration.ofMillis(100)) >= 0, "reload-interval", "must be at least 100ms");
        }
    }

    /**
     * @param hs256Secret    the HMAC key (at least 32 bytes); never logged
     * @param es256PublicKey a PEM {@code PUBLIC KEY} (P-256)
     */
    public record JwtConfig(boolean enabled, String hs256Secret, String es256PublicKey, Duration clockSkew) {
        public JwtConfig {
            if (enabled) {
                require(!hs256Secret.isEmpty() || !es256PublicKey.isEmpty(), "hs256-secret",
                        "signed tokens need hs256-secret or es256-public-key");
                require(hs256Secret.isEmpty() || hs256Secret.getBytes(java.nio.charset.StandardCharsets.UTF_8).length >= 32,
                        "hs256-secret", "must be at least 32 bytes (RFC 7518 §3.2)");
            }
            require(!clockSkew.isNegative() && clockSkew.compareTo(Duration.ofMinutes(10)) <= 0, "clock-skew",
                    "must be between 0 and 10m");
        }

        @Override
        public String toString() {
            return "JwtConfig[enabled=" + enabled + ", hs256-secret=" + (hs256Secret.isEmpty() ? "" : "(secret)")
                    + ", es256-public-key=" + (es256PublicKey.isEmpty() ? "" : "(set)") + ", clock-skew=" + clockSkew + "]";
        }
    }

    /** Bounds on the Direct Sockets options a client may put in the query string (where client targets are allowed). */
    public record OptionsConfig(ByteSize maxBufferSize, Duration maxConnectTimeout, Duration maxIdleTimeout,
                                Duration maxKeepAliveDelay) {
        public OptionsConfig {
            require(maxBufferSize.bytes() >= 4096 && maxBufferSize.bytes() <= 64L << 20, "max-buffer-size",
                    "must be between 4k and 64m");
            require(positive(maxConnectTimeout), "max-connect-timeout", "must be positive");
            require(positive(maxIdleTimeout), "max-idle-timeout", "must be positive");
            require(maxKeepAliveDelay.compareTo(Duration.ofSeconds(1)) >= 0, "max-keep-alive-delay", "must be at least 1s");
        }
    }

    /** The websockify-compatible endpoint: one WebSocket = one TCP connection. */
    public record WebsockifyConfig(boolean enabled, String path, String target, boolean tokens, boolean clientTargets,
                                   boolean base64, List<String> allowHosts, List<String> allowPorts) {
        public WebsockifyConfig {
            checkPath("path", path, true);
            checkTarget("target", target);
            RawSocketConfig.allowList(allowHosts, allowPorts);
        }

        public TargetAllowList allowList() {
            return RawSocketConfig.allowList(allowHosts, allowPorts);
        }
    }

    /** wsproxy paths: {@code <prefix><path>HOST:PORT}, the target chosen by the client. */
    public record WsproxyConfig(boolean enabled, String path, List<String> allowHosts, List<String> allowPorts) {
        public WsproxyConfig {
            checkPath("path", path, false);
            require(path.endsWith("/"), "path", "must end with '/' (the target follows it)");
            RawSocketConfig.allowList(allowHosts, allowPorts);
        }

        public TargetAllowList allowList() {
            return RawSocketConfig.allowList(allowHosts, allowPorts);
        }
    }

    /** UDP flows: one WebSocket = one connected UDP flow, one message = one datagram. */
    public record UdpConfig(boolean enabled, String path, String target, boolean tokens, boolean clientTargets,
                            ByteSize maxDatagram, boolean emscriptenPortMessage, List<String> allowHosts,
                            List<String> allowPorts) {
        public UdpConfig {
            checkPath("path", path, false);
            require(!path.endsWith("/"), "path", "must not end with '/' (client targets follow it as /HOST:PORT)");
            checkTarget("target", target);
            require(maxDatagram.bytes() >= 1 && maxDatagram.bytes() <= DatagramEndpoint.MAX_UDP_PAYLOAD, "max-datagram",
                    "must be between 1 and " + DatagramEndpoint.MAX_UDP_PAYLOAD);
            RawSocketConfig.allowList(allowHosts, allowPorts);
        }

        public TargetAllowList allowList() {
            return RawSocketConfig.allowList(allowHosts, allowPorts);
        }
    }

    /**
     * The demo page, and the loopback services it talks to.
     *
     * @param services start the TCP echo, banner-then-close and UDP echo services on loopback, reachable as
     *                 tokens {@code demo-echo}, {@code demo-banner} and {@code demo-udp-echo}
     */
    public record DemoConfig(boolean enabled, String path, boolean services, String banner) {
        public DemoConfig {
            checkPath("path", path, false);
            require(path.endsWith("/"), "path", "must end with '/'");
        }
    }
}
