package io.isthmus.core.config;

import static io.isthmus.core.config.ConfigValueException.require;

import io.isthmus.core.egress.EgressConfig;

/**
 * The core's part of the {@code isthmus} tree (everything but {@code plugins}), bound and validated at
 * start-up. Every key and its default is documented in gateway-core's {@code reference.conf}.
 */
public record GatewayConfig(
        String listen,
        String transport,
        String allocator,
        int eventLoopThreads,
        boolean acceptOnIoThreads,
        AdminConfig admin,
        TlsConfig tls,
        LimitsConfig limits,
        SpliceConfig splice,
        EgressConfig egress,
        java.util.List<String> trustedProxies,
        ClientAddressConfig clientAddress,
        ShutdownConfig shutdown,
        ReloadConfig reload,
        LoggingConfig logging,
        LandingConfig landing) {

    public GatewayConfig {
        ConfigValueException.hostPort("listen", listen);
        try {
            io.isthmus.core.transport.Transport.choose(transport);
        } catch (IllegalArgumentException e) {
            throw new ConfigValueException("transport", e.getMessage());
        }
        try {
            io.isthmus.core.transport.BufferAllocator.named(allocator);
        } catch (IllegalArgumentException e) {
            throw new ConfigValueException("allocator", e.getMessage());
        }
        require(eventLoopThreads >= 0, "event-loop-threads", "must be 0 (one per core) or more");
        trustedProxies = java.util.List.copyOf(trustedProxies);
        for (int i = 0; i < trustedProxies.size(); i++) {
            try {
                io.isthmus.core.egress.Cidr.parse(trustedProxies.get(i));
            } catch (IllegalArgumentException e) {
                throw new ConfigValueException("trusted-proxies[" + i + "]", e.getMessage());
            }
        }
    }

    /** The admin listener; {@code topTalkers} rows on the status page (0: none). */
    public record AdminConfig(boolean enabled, String listen, int topTalkers) {
        public AdminConfig {
            ConfigValueException.hostPort("listen", listen);
            require(topTalkers >= 0 && topTalkers <= 100, "top-talkers", "must be 0 (none) to 100");
        }
    }

    public record TlsConfig(boolean enabled, String certificate, String key, java.time.Duration handshakeTimeout) {
        public TlsConfig {
            require(!enabled || !certificate.isBlank(), "certificate", "TLS needs a certificate (PEM file)");
            require(!enabled || !key.isBlank(), "key", "TLS needs a private key (PEM file)");
        }
    }

    /** Limits of the front door; see edge-hardening in the protocol notes for where each default comes from. */
    public record LimitsConfig(ByteSize maxRequestLine, ByteSize maxHeadBytes, int maxHeaders,
                               java.time.Duration headTimeout, int maxConnections, int maxConnectionsPerIp,
                               int ipv6PrefixLength, io.isthmus.core.overload.MemoryLimits memory) {
        public LimitsConfig {
            require(ipv6PrefixLength >= 16 && ipv6PrefixLength <= 128, "ipv6-prefix-length", "must be between 16 and 128");
            require(maxRequestLine.bytes() >= 64, "max-request-line", "must be at least 64 bytes");
            require(maxHeadBytes.bytes() >= 256, "max-head-bytes", "must be at least 256 bytes");
            require(maxHeaders >= 1, "max-headers", "max-headers must be at least 1");
            require(!headTimeout.isNegative() && !headTimeout.isZero(), "head-timeout", "must be positive");
            require(maxConnections >= 1, "max-connections", "must be at least 1");
            require(maxConnectionsPerIp >= 1, "max-connections-per-ip", "must be at least 1");
        }
    }

    /**
     * Defaults of the splice engine; a plugin may pass its own idle timeout per splice. The read sizes apply
     * to every TCP channel the gateway opens or accepts, since any of them may end up in a splice.
     */
    public record SpliceConfig(java.time.Duration idleTimeout, ByteSize lowWaterMark, ByteSize highWaterMark,
                               ByteSize minReadSize, ByteSize initialReadSize, ByteSize maxReadSize,
                               boolean sameEventLoop, ZeroCopyMode zeroCopy, ByteSize zeroCopyChunk, ByteSize pipeSize,
                               ByteSize pipeBudget, ByteSize autoBulkReadSize, int autoBulkReads,
                               int autoInteractiveTurns, java.time.Duration closeFlushTimeout,
                               java.time.Duration lingerTimeout) {
        public SpliceConfig {
            require(!closeFlushTimeout.isNegative() && !closeFlushTimeout.isZero(), "close-flush-timeout", "must be positive");
            require(!lingerTimeout.isNegative() && !lingerTimeout.isZero(), "linger-timeout", "must be positive");
            require(lowWaterMark.bytes() <= highWaterMark.bytes(), "low-water-mark", "low-water-mark must not exceed high-water-mark");
            require(!idleTimeout.isNegative() && !idleTimeout.isZero(), "idle-timeout", "must be positive");
            require(minReadSize.bytes() >= 64, "min-read-size", "must be at least 64 bytes");
            require(initialReadSize.bytes() >= minReadSize.bytes(), "initial-read-size", "must be at least min-read-size");
            require(maxReadSize.bytes() >= initialReadSize.bytes(), "max-read-size", "must be at least initial-read-size");
            require(maxReadSize.bytes() <= 16L << 20, "max-read-size", "must be at most 16m");
            require(zeroCopyChunk.bytes() >= 64 * 1024 && zeroCopyChunk.bytes() <= 1L << 30, "zero-copy-chunk",
                    "must be between 64k and 1g");
            require(pipeSize.bytes() >= 4096 && pipeSize.bytes() <= 256L << 20, "pipe-size", "must be between 4k and 256m");
            require(pipeBudget.bytes() >= 0, "pipe-budget", "must not be negative");
            require(zeroCopy != null, "zero-copy", "must be auto, true or false");
            require(autoBulkReadSize.bytes() >= 1024 && autoBulkReadSize.bytes() <= maxReadSize.bytes(),
                    "auto-bulk-read-size", "must be between 1k and max-read-size");
            require(autoBulkReads >= 1 && autoBulkReads <= 1024, "auto-bulk-reads", "must be between 1 and 1024");
            require(autoInteractiveTurns >= 0 && autoInteractiveTurns <= 1 << 20, "auto-interactive-turns",
                    "must be between 0 (never back to copying) and 1048576");
        }
    }

    /** The page an unclaimed {@code GET /} gets on the public port. */
    public record LandingConfig(boolean enabled) {
    }

    public record ShutdownConfig(java.time.Duration drainTimeout) {
    }

    /** Hot reload: SIGHUP always; with {@code watch}, also when the config file or a file it names changes. */
    public record ReloadConfig(boolean watch, java.time.Duration watchInterval) {
        public ReloadConfig {
            require(watchInterval.toMillis() >= 100, "watch-interval", "must be at least 100ms");
        }
    }

    public record LoggingConfig(String format, boolean accessLog) {
        public LoggingConfig {
            require(format.equals("text") || format.equals("json"), "format", "must be text or json");
        }
    }
}
