package io.isthmus.core.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.ssl.SslHandler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * The server side of an RFC 6455 handshake on a channel the front door handed over (no HTTP codec in the
 * pipeline): check the request, write the 101, install the frame codec. Plugins answer a refusal with their
 * protocol's own bytes, so {@link #check} only says what is wrong.
 */
public final class WebSocketHandshake {

    /** The RFC 6455 GUID appended to the key. */
    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    public static final String DECODER = "isthmus-ws-decoder";
    public static final String ENCODER = "isthmus-ws-encoder";

    /** What a WebSocket upgrade request lacks. */
    public enum Problem {
        NOT_GET, NOT_AN_UPGRADE, NO_HOST, NO_KEY, UNSUPPORTED_VERSION
    }

    private WebSocketHandshake() {
    }

    /** The first problem of {@code head} as a WebSocket upgrade request, or null when it is acceptable. */
    public static Problem check(RequestHead head) {
        if (!head.method().equals("GET")) {
            return Problem.NOT_GET;
        }
        if (!head.isUpgradeTo("websocket")) {
            return Problem.NOT_AN_UPGRADE;
        }
        if (head.header("host") == null) {
            return Problem.NO_HOST;
        }
        String key = head.header("sec-websocket-key");
        if (key == null || key.isBlank()) {
            return Problem.NO_KEY;
        }
        if (!"13".equals(head.header("sec-websocket-version"))) {
            return Problem.UNSUPPORTED_VERSION;
        }
        return null;
    }

    /** {@code Sec-WebSocket-Accept} for a key: base64(SHA-1(key + GUID)). */
    public static String accept(String key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-1").digest((key.trim() + GUID).getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is part of every JDK", e);
        }
    }

    /**
     * Writes the 101 (with {@code subprotocol} when not null) and, in the same event-loop task, installs the
     * frame codec so that no frame byte meets anything else. Server frames go out unmasked; client frames
     * must be masked and at most {@code maxFramePayload} bytes. Call on the channel's event loop.
     */
    public static ChannelFuture complete(Channel channel, RequestHead head, String subprotocol, int maxFramePayload) {
        return complete(channel, head, subprotocol, maxFramePayload, java.util.List.of());
    }

    /** As {@link #complete(Channel, RequestHead, String, int)}, with {@code extraHeaders} ("Name: value" lines) in the 101. */
    public static ChannelFuture complete(Channel channel, RequestHead head, String subprotocol, int maxFramePayload,
                                         java.util.List<String> extraHeaders) {
        StringBuilder response = new StringBuilder("HTTP/1.1 101 Switching Protocols\r\n")
                .append("Upgrade: websocket\r\n")
                .append("Connection: Upgrade\r\n")
                .append("Sec-WebSocket-Accept: ").append(accept(head.header("sec-websocket-key"))).append("\r\n");
        if (subprotocol != null) {
            response.append("Sec-WebSocket-Protocol: ").append(subprotocol).append("\r\n");
        }
        for (String line : extraHeaders) {
            response.append(line).append("\r\n");
        }
        ByteBuf bytes = PlainResponses.bytes(channel.alloc(), response.append("\r\n").toString());
        ChannelFuture written = channel.writeAndFlush(bytes);
        WebSocketDecoderConfig decoder = WebSocketDecoderConfig.newBuilder()
                .maxFramePayloadLength(maxFramePayload)
                .expectMaskedFrames(true)
                .allowMaskMismatch(false)
                .closeOnProtocolViolation(true)
                .build();
        // The codec sits right behind TLS (when present), ahead of whatever the plugin installs. The encoder
        // comes first: the decoder's own close frame on a protocol violation (1002, 1009) is written from the
        // decoder's place in the pipeline and must pass through the encoder to reach the wire.
        ChannelPipeline p = channel.pipeline();
        ChannelHandlerContext tls = p.context(SslHandler.class);
        if (tls != null) {
            p.addAfter(tls.name(), ENCODER, new WebSocket13FrameEncoder(false));
        } else {
            p.addFirst(ENCODER, new WebSocket13FrameEncoder(false));
        }
        p.addAfter(ENCODER, DECODER, new WebSocketUnmaskingDecoder(decoder));
        return written;
    }
}
