package io.isthmus.rawsocket.bridge;

import io.isthmus.core.egress.DialOptions;
import io.isthmus.core.egress.EgressDialer;
import io.isthmus.core.egress.EgressRefusedException;
import io.isthmus.core.http.PlainResponses;
import io.isthmus.core.http.RequestHead;
import io.isthmus.core.http.WebSocketHandshake;
import io.isthmus.core.http.WebSocketKeepalive;
import io.isthmus.core.spi.ConnectionHandler;
import io.isthmus.core.spi.Handoff;
import io.isthmus.core.splice.DatagramEndpoint;
import io.isthmus.core.splice.Endpoint;
import io.isthmus.core.splice.Splice;
import io.isthmus.core.splice.SpliceEngine;
import io.isthmus.core.splice.SpliceOptions;
import io.isthmus.core.splice.SpliceResult;
import io.isthmus.core.splice.TcpEndpoint;
import io.isthmus.core.splice.WebSocketEndpoint;
import io.isthmus.rawsocket.RawSocketConfig;
import io.isthmus.rawsocket.target.Target;
import io.isthmus.rawsocket.target.TargetChoice;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.socket.DatagramChannel;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.util.concurrent.Future;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.NoRouteToHostException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One WebSocket = one socket: the checks of the upgrade (path, RFC 6455, Origin, subprotocol, per-IP cap),
 * the 101, the target and options (refused after the 101 with a close reason a page can read), the dial
 * through {@link EgressDialer}, then {@link SpliceEngine#join}. No byte is relayed here.
 *
 * <p>Close mapping (rawsocket-browser.md §1.4): the target's end gives 1000 "Target closed" after every
 * queued byte; a failed or refused dial 1011 "Failed to connect to downstream server: ..."; a bad target,
 * token or option 1008 naming it; the client's Close is answered with its own code.
 */
public final class SocketBridge implements ConnectionHandler {

    /** websockify's words for a failed dial; pages and tests match on them. */
    static final String CONNECT_FAILED = "Failed to connect to downstream server";

    /** Dialed channels need no handler of their own until the endpoint adopts them. */
    private static final ChannelHandler NO_HANDLER = new ChannelInitializer<Channel>() {
        @Override
        protected void initChannel(Channel ch) {
        }
    };

    private final BridgeEndpoint endpoint;
    private final RawSocketConfig config;
    private final EgressDialer dialer;
    private final SpliceEngine splices;
    private final RawSocketMetrics metrics;
    private final ClientCaps caps;
    private final OriginRule origins;
    private final boolean epoll;

    public SocketBridge(BridgeEndpoint endpoint, RawSocketConfig config, EgressDialer dialer, SpliceEngine splices,
                        RawSocketMetrics metrics, ClientCaps caps, OriginRule origins, boolean epoll) {
        this.endpoint = endpoint;
        this.config = config;
        this.dialer = dialer;
        this.splices = splices;
        this.metrics = metrics;
        this.caps = caps;
        this.origins = origins;
        this.epoll = epoll;
    }

    @Override
    public void handle(Handoff handoff) {
        Channel channel = handoff.channel();
        RequestHead head = handoff.head();
        metrics.protocol().connectionOpened();
        channel.closeFuture().addListener(f -> metrics.protocol().connectionClosed());

        String pathTarget = endpoint.pathTarget(head.path());
        if (pathTarget == null) {
            refuseHttp(handoff, "no_route", HttpResponseStatus.NOT_FOUND, "Not found");
            return;
        }
        if (WebSocketHandshake.check(head) != null) {
            refuseHttp(handoff, "not_websocket", HttpResponseStatus.BAD_REQUEST,
                    "Expected a WebSocket upgrade (RFC 6455, version 13)");
            return;
        }
        if (!origins.permits(head)) {
            refuseHttp(handoff, "origin_not_allowed", HttpResponseStatus.FORBIDDEN, "Origin not allowed");
            return;
        }
        Subprotocol subprotocol = Subprotocol.select(head, endpoint.base64());
        if (subprotocol == null) {
            // websockify answers 400 too; a browser then fails the handshake (close 1006).
            refuseHttp(handoff, "invalid_subprotocol", HttpResponseStatus.BAD_REQUEST, "Invalid protocol selected");
            return;
        }
        if (!io.isthmus.core.overload.Admission.admits(channel, metrics.protocol().protocol(),
                io.isthmus.core.overload.Admission.Work.LINK)) {
            // Memory is short (isthmus.limits.memory): 503 before the upgrade; live bridges carry on.
            refuseHttp(handoff, "overloaded", HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "The gateway is short of memory; try again later");
            return;
        }
        InetAddress client = handoff.client().getAddress();
        if (!caps.tryAcquire(client)) {
            refuseHttp(handoff, "connection_limit_per_ip", HttpResponseStatus.TOO_MANY_REQUESTS,
                    "Too many connections from your address");
            return;
        }
        channel.closeFuture().addListener(f -> caps.release(client));

        Map<String, String> query = query(head.query());
        TargetChoice choice = endpoint.chooser().choose(query, pathTarget.isEmpty() ? null : pathTarget);
        SocketOptions options = SocketOptions.defaults();
        String refusal = null;
        String refusalReason = null;
        if (choice instanceof TargetChoice.Refused r) {
            refusal = r.message();
            refusalReason = r.reason();
        } else {
            Target target = ((TargetChoice.Chosen) choice).target();
            String present = SocketOptions.firstPresent(query);
            if (present != null && !target.clientChosen()) {
                refusal = "Invalid option " + present + ": options apply only to client-chosen targets";
                refusalReason = "invalid_option";
            } else if (present != null) {
                try {
                    options = SocketOptions.parse(query, config.options());
                } catch (SocketOptions.Invalid e) {
                    refusal = e.getMessage();
                    refusalReason = "invalid_option";
                }
            }
        }

        WebSocketHandshake.complete(channel, head, subprotocol.token(), config.maxMessageSize().toIntBytes());
        installFrameHandlers(channel.pipeline(), subprotocol);
        // A vanished browser must not hold its target for the whole idle timeout.
        WebSocketKeepalive.install(channel, new WebSocketKeepalive(config.pingInterval(), config.deadPeerTimeout(),
                alloc -> alloc.buffer(0), metrics.protocol()));
        WebSocketEndpoint ws = WebSocketEndpoint.adopt(channel, handoff.leftover(), config.holdLimit().toIntBytes(),
                new WebSocketEndpoint.Settings(endpoint.datagram(), config.closeTimeout(), "Target closed"));
        metrics.protocol().handshake(subprotocol.name().toLowerCase(java.util.Locale.ROOT));

        if (refusal != null) {
            // Refused before any dial; after the 101 so that a page can read why (browsers hide HTTP bodies).
            metrics.refusal(endpoint.name(), refusalReason);
            ws.closeWith(WebSocketCloseStatus.POLICY_VIOLATION.code(), refusal);
            return;
        }
        dial(channel, ws, ((TargetChoice.Chosen) choice).target(), options);
    }

    private void installFrameHandlers(ChannelPipeline p, Subprotocol subprotocol) {
        if (subprotocol == Subprotocol.BASE64) {
            p.addLast("rawsocket-base64", new Base64TextFrames());
        }
        if (endpoint.datagram()) {
            p.addLast("rawsocket-whole-messages", new WholeMessages(endpoint.maxDatagram(),
                    n -> metrics.datagramDropped(true, "oversize")));
            if (endpoint.emscriptenPort()) {
                p.addLast("rawsocket-emscripten-port", new EmscriptenPortMessage(metrics::portMessageConsumed));
            }
        }
    }

    private void dial(Channel channel, WebSocketEndpoint ws, Target target, SocketOptions options) {
        DialOptions dial = options.dialOptions(endpoint.datagram(), config.connectTimeout(), epoll);
        Future<? extends Channel> connecting = endpoint.datagram()
                ? dialer.connectUdp(target.address(), target.policy(), channel.eventLoop(), NO_HANDLER, metrics.protocol(), dial)
                : dialer.connect(target.address(), target.policy(), channel.eventLoop(), NO_HANDLER, metrics.protocol(), dial);
        // A client that leaves while its target is dialed cancels the dial (the dialer closes what it made).
        channel.closeFuture().addListener(f -> connecting.cancel(false));
        Duration idle = options.idleTimeout() != null ? options.idleTimeout() : config.idleTimeout();
        connecting.addListener(f -> {
            if (f.isCancelled()) {
                return;
            }
            if (!f.isSuccess()) {
                Throwable cause = f.cause();
                if (cause instanceof EgressRefusedException refused) {
                    metrics.connection(endpoint.name(), "egress_refused");
                    ws.closeWith(WebSocketCloseStatus.INTERNAL_SERVER_ERROR.code(),
                            CONNECT_FAILED + ": " + refused.refusal().message());
                } else {
                    metrics.connection(endpoint.name(), "connect_failed");
                    ws.closeWith(WebSocketCloseStatus.INTERNAL_SERVER_ERROR.code(), CONNECT_FAILED + ": " + describe(cause));
                }
                return;
            }
            Channel upstream = (Channel) f.getNow();
            if (!channel.isActive()) {
                upstream.close();
                return;
            }
            Endpoint b = endpoint.datagram()
                    ? DatagramEndpoint.adopt((DatagramChannel) upstream, config.holdLimit().toIntBytes(),
                            endpoint.maxDatagram(), metrics.datagramListener())
                    : TcpEndpoint.adopt(upstream, null, config.holdLimit().toIntBytes());
            // Zero-copy (isthmus.splice.zero-copy): a binary stream's download may go socket to pipe to frames.
            Splice splice = splices.join(ws, b, SpliceOptions.of(metrics.protocol().protocol(), idle).withHalfClose(false)
                    .withZeroCopy(true));
            splice.completion().addListener(done -> {
                SpliceResult r = splice.completion().getNow();
                metrics.connection(endpoint.name(), r.outcome());
                metrics.bytes(endpoint.name(), r.upstreamBytes(), r.downstreamBytes());
            });
        });
    }

    /** A short, address-free description of a failed connect (the client named the target; the resolved address is ours). */
    static String describe(Throwable cause) {
        if (cause instanceof ConnectTimeoutException) {
            return "connection timed out";
        }
        if (cause instanceof NoRouteToHostException) {
            return "no route to host";
        }
        if (cause instanceof ConnectException) {
            return "connection refused";
        }
        return "network error";
    }

    private void refuseHttp(Handoff handoff, String reason, HttpResponseStatus status, String body) {
        handoff.leftover().release();
        metrics.refusal(endpoint.name(), reason);
        PlainResponses.sendAndClose(handoff.channel(), status, body);
    }

    /** The first value of each parameter, percent-decoded. */
    static Map<String, String> query(String raw) {
        if (raw.isEmpty()) {
            return Map.of();
        }
        Map<String, String> first = new HashMap<>();
        try {
            for (Map.Entry<String, List<String>> e : new QueryStringDecoder(raw, false).parameters().entrySet()) {
                first.put(e.getKey(), e.getValue().get(0));
            }
        } catch (IllegalArgumentException e) {
            return Map.of();
        }
        return first;
    }
}
