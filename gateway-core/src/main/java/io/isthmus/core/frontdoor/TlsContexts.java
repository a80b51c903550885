package io.isthmus.core.frontdoor;

import io.isthmus.core.config.GatewayConfig.TlsConfig;
import io.isthmus.core.config.InvalidConfigException;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.File;
import javax.net.ssl.SSLException;

/** Builds the server TLS context from PEM files: BoringSSL through tcnative when it loads, the JDK otherwise. */
public final class TlsContexts {

    private TlsContexts() {
    }

    public static SslContext server(TlsConfig tls) {
        File cert = new File(tls.certificate());
        File key = new File(tls.key());
        if (!cert.canRead()) {
            throw new InvalidConfigException("isthmus.tls.certificate", "cannot read " + cert);
        }
        if (!key.canRead()) {
            throw new InvalidConfigException("isthmus.tls.key", "cannot read " + key);
        }
        try {
            return SslContextBuilder.forServer(cert, key)
                    .sslProvider(OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK)
                    .protocols("TLSv1.3", "TLSv1.2")
                    .applicationProtocolConfig(new ApplicationProtocolConfig(
                            ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                            ApplicationProtocolNames.HTTP_1_1))
                    .build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new InvalidConfigException("isthmus.tls", "cannot load certificate and key: " + e.getMessage());
        }
    }
}
