package io.isthmus.rawsocket.wisp;

import io.isthmus.core.egress.EgressRefusedException;
import io.isthmus.core.egress.EgressTarget;
import io.isthmus.core.http.PlainResponses;
import io.isthmus.core.http.WebSocketHandshake;
import io.isthmus.core.http.WebSocketKeepalive;
import io.isthmus.core.spi.Handoff;
import io.isthmus.core.splice.SpliceOptions;
import io.isthmus.core.splice.TcpEndpoint;
import io.isthmus.core.splice.WebSocketEndpoint;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * Legacy wsproxy below the Wisp path (§B.3, case 38): {@code <path>HOST:PORT} without a trailing slash is
 * one raw TCP connection, each binary message its bytes. The same policy as Wisp's CONNECT applies; the
 * target is dialed before the upgrade is answered, so a refused or blocked one is an HTTP error (403 for
 * the policy, 502 otherwise) and the client's WebSocket never opens.
 */
final class WsproxyRelay {

    @ChannelHandler.Sharable
    private static final class NoHandlers extends ChannelInitializer<Channel> {
        @Override
        protected void initChannel(Channel ch) {
        }
    }

    private static final ChannelHandler NO_HANDLERS = new NoHandlers();
    private static final int HOLD_LIMIT = 256 * 1024;

    private final WispServer server;

    WsproxyRelay(WispServer server) {
        this.server = server;
    }

    void handle(Handoff handoff) {
        Channel client = handoff.channel();
        String path = handoff.head().path();
        String segment = URLDecoder.decode(path.substring(path.lastIndexOf('/') + 1), StandardCharsets.UTF_8);
        EgressTarget target = parse(segment);
        WispConfig config = server.config();
        if (target == null || (!config.allowDirectIp() && target.isAddressLiteral())) {
            refuse(handoff, target == null ? HttpResponseStatus.BAD_REQUEST : HttpResponseStatus.FORBIDDEN,
                    target == null ? "wsproxy: the path must end in HOST:PORT" : "wsproxy: direct IPs are not allowed");
            return;
        }
        server.dialer().connect(target, server.policy(), client.eventLoop(), NO_HANDLERS, server.metrics().protocol())
                .addListener(f -> {
                    if (!f.isSuccess()) {
                        boolean policy = f.cause() instanceof EgressRefusedException;
                        server.metrics().connect(WispCloseReason.of(WispCloseReason.ofDialFailure(f.cause())).label());
                        refuse(handoff, policy ? HttpResponseStatus.FORBIDDEN : HttpResponseStatus.BAD_GATEWAY,
                                "wsproxy: " + (policy ? "target not allowed" : "target unreachable"));
                        return;
                    }
                    Channel upstream = (Channel) f.getNow();
                    if (!client.isActive()) {
                        handoff.leftover().release();
                        upstream.close();
                        return;
                    }
                    server.metrics().connect("opened");
                    server.metrics().protocol().handshake("wsproxy");
                    String offered = handoff.head().header("sec-websocket-protocol");
                    WebSocketHandshake.complete(client, handoff.head(), WispRoute.firstToken(offered),
                            config.maxMessage().toIntBytes());
                    // The Wisp sessions' rule: dropped when nothing answered within one interval after a ping.
                    WebSocketKeepalive.install(client, new WebSocketKeepalive(config.pingInterval(),
                            config.pingInterval().multipliedBy(2), alloc -> alloc.buffer(0), server.metrics().protocol()));
                    WebSocketEndpoint ws = WebSocketEndpoint.adopt(client, handoff.leftover(), HOLD_LIMIT);
                    TcpEndpoint tcp = TcpEndpoint.adopt(upstream, null, HOLD_LIMIT);
                    server.splices().join(ws, tcp, SpliceOptions.of(WispRoute.PROTOCOL, config.idleTimeout()).withZeroCopy(true));
                });
    }

    /** {@code host:port} or {@code [v6]:port}; null when malformed. */
    static EgressTarget parse(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0 || colon == hostPort.length() - 1) {
            return null;
        }
        String host = hostPort.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            int port = Integer.parseInt(hostPort.substring(colon + 1));
            return port < 1 || port > 65535 ? null : new EgressTarget(host, port);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private void refuse(Handoff handoff, HttpResponseStatus status, String why) {
        handoff.leftover().release();
        server.metrics().handshakeRefused("wsproxy_target");
        PlainResponses.sendAndClose(handoff.channel(), status, why);
    }
}
