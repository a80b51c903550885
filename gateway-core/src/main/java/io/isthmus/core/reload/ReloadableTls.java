package io.isthmus.core.reload;

import io.isthmus.core.config.GatewayConfig.TlsConfig;
import io.isthmus.core.frontdoor.TlsContexts;
import io.netty.handler.ssl.SslContext;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;

/**
 * The public port's TLS context, replaceable: the front door reads it for each new connection, so after a
 * reload new handshakes see the new certificate while live connections keep the one they negotiated. A
 * certificate or key that does not load (half-written, mismatched) refuses the reload and the old context
 * stays. {@code tls.enabled} may change too (null: no TLS).
 */
public final class ReloadableTls implements Reloadable, Supplier<SslContext> {

    private volatile SslContext context;
    private volatile TlsConfig config;

    public ReloadableTls(TlsConfig config) {
        this.config = config;
        this.context = config.enabled() ? TlsContexts.server(config) : null;
    }

    /** The context for a new connection, or null when TLS is off. */
    @Override
    public SslContext get() {
        return context;
    }

    @Override
    public String name() {
        return "tls certificate";
    }

    @Override
    public Staged prepare(ReloadContext next) {
        TlsConfig tls = next.core().tls();
        SslContext fresh = tls.enabled() ? TlsContexts.server(tls) : null;
        return () -> {
            config = tls;
            context = fresh;
        };
    }

    @Override
    public List<String> keys() {
        return List.of("isthmus.tls.enabled", "isthmus.tls.certificate", "isthmus.tls.key");
    }

    @Override
    public List<Path> files() {
        TlsConfig c = config;
        return c.enabled() ? List.of(Path.of(c.certificate()), Path.of(c.key())) : List.of();
    }
}
