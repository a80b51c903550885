package io.isthmus.wstunnel;

import io.isthmus.core.http.RequestHead;
import io.isthmus.core.http.WebSocketHandshake;
import io.isthmus.core.mux.PingKeepalive;
import io.isthmus.core.overload.Admission;
import io.isthmus.core.spi.ConnectionHandler;
import io.isthmus.core.spi.Handoff;
import io.isthmus.wstunnel.viewer.ViewerConnection;
import io.isthmus.wstunnel.wsmux.WsmuxSession;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Everything under the prefix: client registrations (§2), Dockerflow heartbeats, and viewers (§5, §6).
 * The prefix itself plays the Go server's {@code /}.
 */
public final class WstunnelHandler implements ConnectionHandler {

    static final Pattern ID = Pattern.compile("^[a-zA-Z0-9_~.%-]+$");
    /** Go's {@code ^Bearer ([\w-\.]+)$}: case-sensitive, one space, token characters only. */
    static final Pattern BEARER = Pattern.compile("^Bearer ([A-Za-z0-9_.-]+)$");
    static final String AGGREGATOR = "wstunnel-aggregator";
    static final String SESSION = "wstunnel-session";

    private final WstunnelContext ctx;

    public WstunnelHandler(WstunnelContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void handle(Handoff handoff) {
        RequestHead head = handoff.head();
        Channel channel = handoff.channel();
        String goPath = goPath(head);
        String id = head.header("x-websocktunnel-id");
        if (goPath.equals("/") && id != null && !id.isEmpty()) {
            handoff.leftover().release();
            register(channel, head, id, handoff);
            return;
        }
        if (goPath.equals("/__lbheartbeat__") || goPath.equals("/__heartbeat__")) {
            handoff.leftover().release();
            channel.config().setAutoRead(false);
            WstReplies.ok(channel);
            return;
        }
        ViewerConnection.adopt(channel, head, handoff.leftover(), ctx);
    }

    /** The request's path as the Go server would see it: below the mount, "/" when empty. */
    private String goPath(RequestHead head) {
        String path = head.path();
        String mount = ctx.config().mount();
        String rest = path.startsWith(mount) ? path.substring(mount.length()) : path;
        return rest.isEmpty() ? "/" : rest;
    }

    /** §2: the checks in the Go server's order, then the 101 and a wsmux session. */
    private void register(Channel channel, RequestHead head, String id, Handoff handoff) {
        channel.config().setAutoRead(false);
        var metrics = ctx.metrics().protocol();
        if (!ID.matcher(id).matches()) {
            metrics.handshake("bad_id");
            WstReplies.badRequest(channel, null);
            return;
        }
        String auth = head.headers().get("authorization");
        Matcher bearer = BEARER.matcher(auth == null ? "" : auth);
        if (!bearer.matches()) {
            metrics.handshake("bad_authorization");
            WstReplies.badRequest(channel, null);
            return;
        }
        if (!head.isUpgradeTo("websocket")) {
            metrics.handshake("not_websocket");
            WstReplies.notFound(channel);
            return;
        }
        if (!ctx.tokens().valid(bearer.group(1), id)) {
            metrics.handshake("unauthorized");
            WstReplies.unauthorized(channel);
            return;
        }
        if (!head.method().equals("GET")) {
            metrics.handshake("bad_method");
            WstReplies.methodNotAllowed(channel);
            return;
        }
        if (!"13".equals(head.header("sec-websocket-version"))) {
            metrics.handshake("bad_version");
            WstReplies.badRequest(channel, "Sec-WebSocket-Version: 13");
            return;
        }
        String key = head.header("sec-websocket-key");
        if (key == null || key.isBlank()) {
            metrics.handshake("no_key");
            WstReplies.badRequest(channel, null);
            return;
        }
        if (ctx.registry().size() >= ctx.config().maxSessions() && ctx.registry().find(id) == null) {
            metrics.handshake("too_many_sessions");
            WstReplies.unavailable(channel);
            return;
        }
        if (!Admission.admits(channel, WstunnelPlugin.NAME, Admission.Work.WEBSOCKET)) {
            // Memory is short (isthmus.limits.memory): the Go client retries a 5xx with its backoff.
            metrics.handshake("overloaded");
            WstReplies.unavailable(channel);
            return;
        }
        int maxMessage = ctx.config().maxMessageSize().toIntBytes();
        WsmuxSession session = new WsmuxSession(channel, ctx.config().maxStreamsPerSession(),
                new PingKeepalive(ctx.config().pingInterval(), true, metrics), ctx.config().streamWindow().bytes(),
                ctx.metrics().sessionEvents());
        // In the map before the 101 leaves: a viewer sent the moment the client sees it must find the session.
        // Streams open on this event loop, after this task has installed the pipeline.
        ctx.registry().register(id, session);
        WebSocketHandshake.complete(channel, head, null, maxMessage,
                List.of("X-Websocktunnel-Client-Url: " + urlPrefix(channel, head) + "/" + id));
        ChannelPipeline p = channel.pipeline();
        // Current wst-clients fragment DATs of 32 KiB + 5 into 4 KiB continuation frames (§4): reassemble.
        p.addLast(AGGREGATOR, new WebSocketFrameAggregator(maxMessage));
        p.addLast(SESSION, session);
        metrics.handshake("ok");
        metrics.connectionOpened();
        channel.config().setAutoRead(true);
    }

    /**
     * The configured url-prefix, or else the address the client reached us at: its Host header (what it
     * dialled, so what a viewer beside it can dial too), the scheme from TLS, and the mount.
     */
    private String urlPrefix(Channel channel, RequestHead head) {
        if (!ctx.urlPrefix().isEmpty()) {
            return ctx.urlPrefix();
        }
        boolean tls = channel.pipeline().get(io.netty.handler.ssl.SslHandler.class) != null;
        String host = head.header("host");
        if (host == null || host.isBlank()) {
            java.net.InetSocketAddress local = (java.net.InetSocketAddress) channel.localAddress();
            host = local.getAddress().getHostAddress() + ":" + local.getPort();
        }
        return (tls ? "https://" : "http://") + host + ctx.config().mount();
    }

    public static void notFound(Channel channel) {
        WstReplies.notFound(channel);
    }

    public static void noClient(Channel channel) {
        WstReplies.noClient(channel);
    }

    public static void unavailable(Channel channel) {
        WstReplies.unavailable(channel);
    }

    public static void internalError(Channel channel) {
        WstReplies.internal(channel);
    }
}
