package io.isthmus.core.frontdoor;

import io.isthmus.core.metrics.ProtocolMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.ProtocolDetectionState;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import java.util.List;

/**
 * First reader of every connection while the PROXY protocol is on (before TLS: the header precedes the
 * ClientHello). It looks at the first bytes only: a v1 ({@code "PROXY "}) or v2 (12-byte signature)
 * header from a configured source hands over to Netty's {@link HAProxyMessageDecoder} and a
 * {@link ProxyHeaderReader}; the same header from any other peer closes the connection
 * ({@code proxy_protocol_untrusted}: a client must not name its own address); no header from a source
 * that must send one closes it too ({@code proxy_protocol_missing}). Otherwise it leaves, passing every
 * byte on untouched.
 */
final class ProxyProtocolGate extends ByteToMessageDecoder {

    static final String NAME = "isthmus-proxy-protocol";
    private static final byte[] V1 = {'P', 'R', 'O', 'X', 'Y', ' '};
    private static final byte[] V2 = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    private final boolean trustedSource;
    private final boolean required;
    private final ConnectionLimiter limiter;
    private final ProtocolMetrics metrics;

    ProxyProtocolGate(boolean trustedSource, boolean required, ConnectionLimiter limiter, ProtocolMetrics metrics) {
        this.trustedSource = trustedSource;
        this.required = required;
        this.limiter = limiter;
        this.metrics = metrics;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (!ctx.channel().isActive()) {
            in.skipBytes(in.readableBytes());
            return;
        }
        boolean header;
        if (!startsLike(in, V1) && !startsLike(in, V2)) {
            header = false; // decided from the first differing byte: an HTTP or TLS client waits for nothing
        } else {
            var detected = HAProxyMessageDecoder.detectProtocol(in);
            if (detected.state() == ProtocolDetectionState.NEEDS_MORE_DATA) {
                return; // the head timeout bounds the wait
            }
            header = detected.state() == ProtocolDetectionState.DETECTED;
        }
        if (header && !trustedSource) {
            refuse(ctx, in, "proxy_protocol_untrusted");
        } else if (!header && trustedSource && required) {
            refuse(ctx, in, "proxy_protocol_missing");
        } else if (header) {
            ctx.pipeline().addAfter(ctx.name(), ProxyHeaderReader.NAME, new ProxyHeaderReader(limiter, metrics));
            ctx.pipeline().addAfter(ctx.name(), "isthmus-proxy-decoder", new HAProxyMessageDecoder());
            ctx.pipeline().remove(this); // the bytes held so far go to the decoder
        } else {
            ctx.pipeline().remove(this);
        }
    }

    /** Whether the readable bytes (as many as there are, up to the prefix's length) equal the prefix's start. */
    private static boolean startsLike(ByteBuf in, byte[] prefix) {
        int n = Math.min(in.readableBytes(), prefix.length);
        for (int i = 0; i < n; i++) {
            if (in.getByte(in.readerIndex() + i) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private void refuse(ChannelHandlerContext ctx, ByteBuf in, String reason) {
        in.skipBytes(in.readableBytes());
        metrics.rejection(reason);
        ctx.close();
    }
}
