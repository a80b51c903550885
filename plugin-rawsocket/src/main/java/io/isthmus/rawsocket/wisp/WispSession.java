package io.isthmus.rawsocket.wisp;

import io.isthmus.core.mux.MuxSession;
import io.isthmus.core.mux.MuxStream;
import io.isthmus.core.mux.PingKeepalive;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One Wisp WebSocket (§B.3): the v1 or v2 handshake, then every client packet dispatched to its stream.
 * Malformed or misplaced packets are ignored and counted, never answered by closing anything else; a stream
 * that misbehaves (an overrun) is closed alone. CONNECTs are handed to the {@link WispConnector}.
 */
public final class WispSession extends MuxSession {

    private final WispServer server;
    private final WispConnector connector;
    private final boolean v2;
    private final WispPasswords passwords;
    private boolean established;
    /** The handshake was refused: the close is on its way, and no later INFO may establish the session. */
    private boolean refused;
    private boolean directSockets;
    private ScheduledFuture<?> handshakeTimer;

    WispSession(Channel parent, WispServer server, WispConnector connector, boolean v2, WispPasswords passwords) {
        super(parent, server.config().maxStreams(),
                new PingKeepalive(server.config().pingInterval(), false, server.metrics().protocol()));
        this.server = server;
        this.connector = connector;
        this.v2 = v2;
        this.passwords = passwords;
    }

    WispMetrics metrics() {
        return server.metrics();
    }

    WispServer server() {
        return server;
    }

    /** Whether the client opted into the Direct Sockets extension. */
    boolean directSockets() {
        return directSockets;
    }

    /** Sends the server's first packet: v1's CONTINUE(0, buffer), or v2's INFO. On the event loop. */
    void start() {
        WispConfig config = server.config();
        if (!v2) {
            if (config.password().required()) {
                // v1 has no way to authenticate.
                refuseHandshake(WispCloseReason.MISSING_CREDENTIALS, "v1_without_credentials");
                return;
            }
            establish();
            return;
        }
        List<WispPacket.Extension> extensions = new ArrayList<>();
        if (config.udp()) {
            extensions.add(WispPacket.Extension.empty(WispPacket.EXT_UDP));
        }
        if (config.password().required()) {
            extensions.add(new WispPacket.Extension(WispPacket.EXT_PASSWORD, new byte[] {1}));
        }
        if (!config.motd().isEmpty()) {
            extensions.add(new WispPacket.Extension(WispPacket.EXT_MOTD, config.motd().getBytes(StandardCharsets.UTF_8)));
        }
        if (config.directSockets()) {
            extensions.add(DirectSocketsExtension.record());
        }
        send(WispPacket.info(parent.alloc(), 2, 0, extensions));
        handshakeTimer = eventLoop().schedule(() -> {
            if (!established) {
                metrics().handshakeRefused("info_timeout");
                abort();
            }
        }, config.handshakeTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }

    private void establish() {
        established = true;
        send(WispPacket.continuePacket(parent.alloc(), 0, server.config().buffer()));
    }

    private void refuseHandshake(WispCloseReason reason, String metric) {
        refused = true;
        metrics().handshakeRefused(metric);
        send(WispPacket.close(parent.alloc(), 0, reason));
        close(1008, "wisp handshake refused", Duration.ofSeconds(1));
    }

    @Override
    protected void onMessage(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (!(frame instanceof BinaryWebSocketFrame)) {
            frame.release();
            metrics().ignored("text_frame");
            return;
        }
        ByteBuf c = frame.content();
        if (c.readableBytes() < WispPacket.HEADER) {
            frame.release();
            metrics().ignored("short_frame");
            return;
        }
        int type = c.readUnsignedByte();
        int id = c.readIntLE();
        if (!established) {
            try {
                if (refused) {
                    metrics().ignored("after_refusal");
                } else {
                    clientInfo(type, id, c);
                }
            } finally {
                frame.release();
            }
            return;
        }
        switch (type) {
            case WispPacket.DATA -> data(id, c);
            case WispPacket.CONNECT -> {
                connector.connect(this, id, c, null);
                frame.release();
            }
            case WispPacket.CLOSE -> {
                clientClose(id, c);
                frame.release();
            }
            case WispPacket.CONTINUE -> frame.release(); // Only the server grants credit; wisp-js ignores these too.
            case DirectSocketsExtension.CONNECT_EX -> {
                if (directSockets) {
                    connector.connectEx(this, id, c);
                } else {
                    metrics().ignored("unknown_type");
                }
                frame.release();
            }
            case DirectSocketsExtension.END -> {
                clientEnd(id);
                frame.release();
            }
            default -> {
                frame.release();
                metrics().ignored(type == WispPacket.INFO ? "late_info" : "unknown_type");
            }
        }
    }

    private void data(int id, ByteBuf payload) {
        MuxStream s = id == 0 ? null : stream(id);
        if (s == null) {
            payload.release();
            metrics().ignored("unknown_stream");
            return;
        }
        s.peerData(payload);
    }

    private void clientClose(int id, ByteBuf payload) {
        if (!payload.isReadable()) {
            metrics().ignored("bad_close");
            return;
        }
        int reason = payload.readUnsignedByte();
        if (id == 0) {
            // The client is leaving the whole connection.
            close(1000, "", Duration.ofSeconds(1));
            return;
        }
        MuxStream s = stream(id);
        if (s == null) {
            metrics().ignored("unknown_stream");
            return;
        }
        s.peerClosed(WispCloseReason.fromClient(reason));
    }

    private void clientEnd(int id) {
        MuxStream s = id == 0 || !directSockets ? null : stream(id);
        if (s == null || !s.supportsHalfClose()) {
            metrics().ignored(directSockets ? "unknown_stream" : "unknown_type");
            return;
        }
        s.peerEnded();
    }

    /** v2: the client's INFO must come first (§B.3); it carries credentials and the extensions it accepts. */
    private void clientInfo(int type, int id, ByteBuf payload) {
        if (type != WispPacket.INFO || id != 0 || payload.readableBytes() < 2) {
            cancelHandshakeTimer();
            refuseHandshake(WispCloseReason.INCOMPATIBLE_EXTENSIONS, "not_info");
            return;
        }
        payload.skipBytes(2); // major, minor: a v2 server answers any v2.x client alike
        List<WispPacket.Extension> extensions = WispPacket.parseExtensions(payload);
        cancelHandshakeTimer();
        if (server.config().password().required()) {
            WispPacket.Extension credentials = null;
            for (WispPacket.Extension e : extensions) {
                if (e.id() == WispPacket.EXT_PASSWORD) {
                    credentials = e;
                }
            }
            if (credentials == null) {
                refuseHandshake(WispCloseReason.MISSING_CREDENTIALS, "missing_credentials");
                return;
            }
            if (!passwords.accepts(credentials.payload())) {
                refuseHandshake(WispCloseReason.BAD_PASSWORD, "bad_password");
                return;
            }
        }
        for (WispPacket.Extension e : extensions) {
            if (e.id() == DirectSocketsExtension.ID && server.config().directSockets()) {
                directSockets = true;
            }
        }
        establish();
    }

    private void cancelHandshakeTimer() {
        if (handshakeTimer != null) {
            handshakeTimer.cancel(false);
            handshakeTimer = null;
        }
    }

    @Override
    protected void onClosed() {
        cancelHandshakeTimer();
        metrics().sessionClosed();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        metrics().ignored("websocket_error");
        super.exceptionCaught(ctx, cause);
    }
}
