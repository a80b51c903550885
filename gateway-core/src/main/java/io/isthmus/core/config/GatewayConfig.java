package io.isthmus.core.config;

import io.isthmus.core.egress.EgressConfig;

/**
 * The core's part of the {@code isthmus} tree (everything but {@code plugins}), bound and validated at
 * start-up. Every key and its default is documented in gateway-core's {@code reference.conf}.
 */
public record GatewayConfig(
        String listen,
        String transport,
        int eventLoopThreads,
        AdminConfig admin,
        TlsConfig tls,
        LimitsConfig limits,
        SpliceConfig splice,
        EgressConfig egress,
        ShutdownConfig shutdown,
        LoggingConfig logging) {

    public GatewayConfig {
        HostPort.parse(listen);
        io.isthmus.core.transport.Transport.choose(transport);
        if (eventLoopThreads < 0) {
            throw new IllegalArgumentException("must be 0 (one per core) or more");
        }
    }

    public record AdminConfig(boolean enabled, String listen) {
        public AdminConfig {
            HostPort.parse(listen);
        }
    }

    public record TlsConfig(boolean enabled, String certificate, String key, java.time.Duration handshakeTimeout) {
        public TlsConfig {
            if (enabled && (certificate.isBlank() || key.isBlank())) {
                throw new IllegalArgumentException("TLS needs both certificate and key (PEM files)");
            }
        }
    }

    /** Limits of the front door; see edge-hardening in the protocol notes for where each default comes from. */
    public record LimitsConfig(ByteSize maxRequestLine, ByteSize maxHeadBytes, int maxHeaders,
                               java.time.Duration headTimeout, int maxConnections, int maxConnectionsPerIp) {
        public LimitsConfig {
            if (maxRequestLine.bytes() < 64) {
                throw new IllegalArgumentException("max-request-line must be at least 64 bytes");
            }
            if (maxHeadBytes.bytes() < 256) {
                throw new IllegalArgumentException("max-head-bytes must be at least 256 bytes");
            }
            if (maxHeaders < 1) {
                throw new IllegalArgumentException("max-headers must be at least 1");
            }
            if (headTimeout.isNegative() || headTimeout.isZero()) {
                throw new IllegalArgumentException("head-timeout must be positive");
            }
            if (maxConnections < 1 || maxConnectionsPerIp < 1) {
                throw new IllegalArgumentException("connection caps must be at least 1");
            }
        }
    }

    /** Defaults of the splice engine; a plugin may pass its own idle timeout per splice. */
    public record SpliceConfig(java.time.Duration idleTimeout, ByteSize lowWaterMark, ByteSize highWaterMark) {
        public SpliceConfig {
            if (lowWaterMark.bytes() > highWaterMark.bytes()) {
                throw new IllegalArgumentException("low-water-mark must not exceed high-water-mark");
            }
        }
    }

    public record ShutdownConfig(java.time.Duration drainTimeout) {
    }

    public record LoggingConfig(String format, boolean accessLog) {
        public LoggingConfig {
            if (!format.equals("text") && !format.equals("json")) {
                throw new IllegalArgumentException("format must be text or json");
            }
        }
    }
}
