package io.isthmus.rawsocket.wisp;

import io.isthmus.core.http.PlainResponses;
import io.isthmus.core.http.RequestHead;
import io.isthmus.core.http.WebSocketHandshake;
import io.isthmus.core.spi.ConnectionHandler;
import io.isthmus.core.spi.Handoff;
import io.isthmus.core.spi.Route;
import io.isthmus.core.spi.RouteCondition;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import java.net.InetAddress;
import java.util.Locale;

/**
 * The Wisp endpoint ({@code wisp.path}, by default {@code /sockets/wisp/}): checks the upgrade, the
 * {@code Origin} allow-list and the WebSockets per client IP, then completes the WebSocket handshake and
 * installs a {@link WispSession}: v2 when the request carries {@code Sec-WebSocket-Protocol} (its first
 * value is echoed), else v1 (§B.3). A path below it that does not end in {@code /} is legacy wsproxy.
 */
public final class WispRoute implements ConnectionHandler {

    /** The protocol label of Wisp's metrics and splices. */
    public static final String PROTOCOL = "wisp";

    private final WispServer server;
    private final WispConnector connector;
    private final WispPasswords passwords;
    private final WsproxyRelay wsproxy;

    public WispRoute(WispServer server) {
        this.server = server;
        this.connector = new WispConnector(server);
        this.passwords = new WispPasswords(server.config().password().users());
        this.wsproxy = new WsproxyRelay(server);
    }

    /** WebSocket upgrades under the path. */
    public Route route() {
        return new Route(PROTOCOL, server.config().path(), RouteCondition.upgrade("websocket"), this);
    }

    @Override
    public void handle(Handoff handoff) {
        Channel channel = handoff.channel();
        RequestHead head = handoff.head();
        WispConfig config = server.config();
        if (WebSocketHandshake.check(head) != null) {
            refuse(handoff, HttpResponseStatus.BAD_REQUEST, "not a WebSocket upgrade", "bad_upgrade");
            return;
        }
        if (!originAllowed(head.header("origin"))) {
            refuse(handoff, HttpResponseStatus.FORBIDDEN, "origin not allowed", "origin");
            return;
        }
        boolean wispPath = head.path().endsWith("/");
        if (!wispPath && !config.wsproxy()) {
            refuse(handoff, HttpResponseStatus.NOT_FOUND, "wsproxy is disabled", "wsproxy_disabled");
            return;
        }
        if (!io.isthmus.core.overload.Admission.admits(channel, PROTOCOL, io.isthmus.core.overload.Admission.Work.WEBSOCKET)) {
            // Memory is short (isthmus.limits.memory): 503 before the upgrade; live sessions carry on.
            refuse(handoff, HttpResponseStatus.SERVICE_UNAVAILABLE, "the gateway is short of memory; try again later", "overloaded");
            return;
        }
        InetAddress ip = handoff.client().getAddress();
        if (!server.acquire(ip)) {
            refuse(handoff, HttpResponseStatus.TOO_MANY_REQUESTS, "too many WebSockets from this address", "per_ip_limit");
            return;
        }
        channel.closeFuture().addListener(f -> server.release(ip));
        if (!wispPath) {
            wsproxy.handle(handoff);
            return;
        }
        String offered = head.header("sec-websocket-protocol");
        boolean v2 = offered != null && config.v2();
        WebSocketHandshake.complete(channel, head, firstToken(offered), config.maxMessage().toIntBytes());
        channel.pipeline().addLast("wisp-aggregator", new WebSocketFrameAggregator(config.maxMessage().toIntBytes()));
        WispSession session = new WispSession(channel, server, connector, v2, passwords);
        channel.pipeline().addLast("wisp", session);
        server.track(session);
        server.metrics().sessionOpened(v2 ? "v2" : "v1");
        session.start();
        if (handoff.leftover().isReadable()) {
            // Frames a client sent right behind its request go through the decoder like any others.
            channel.pipeline().fireChannelRead(handoff.leftover());
            channel.pipeline().fireChannelReadComplete();
        } else {
            handoff.leftover().release();
        }
    }

    private boolean originAllowed(String origin) {
        var allowed = server.config().allowedOrigins();
        if (allowed.isEmpty()) {
            return true;
        }
        if (origin == null) {
            return false;
        }
        String o = origin.trim().toLowerCase(Locale.ROOT);
        return allowed.stream().anyMatch(a -> a.equalsIgnoreCase(o));
    }

    /** The first value of {@code Sec-WebSocket-Protocol}, which is echoed (as the ws library does). */
    static String firstToken(String offered) {
        if (offered == null) {
            return null;
        }
        int comma = offered.indexOf(',');
        String first = (comma < 0 ? offered : offered.substring(0, comma)).trim();
        return first.isEmpty() ? null : first;
    }

    private void refuse(Handoff handoff, HttpResponseStatus status, String why, String metric) {
        handoff.leftover().release();
        server.metrics().handshakeRefused(metric);
        PlainResponses.sendAndClose(handoff.channel(), status, why + "\n");
    }
}
