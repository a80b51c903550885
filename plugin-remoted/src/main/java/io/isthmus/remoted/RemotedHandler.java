package io.isthmus.remoted;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.isthmus.core.http.RequestHead;
import io.isthmus.core.http.WebSocketHandshake;
import io.isthmus.core.http.WebSocketKeepalive;
import io.isthmus.core.metrics.ProtocolMetrics;
import io.isthmus.core.overload.Admission;
import io.isthmus.core.spi.ConnectionHandler;
import io.isthmus.core.spi.Handoff;
import io.isthmus.webroute.handshake.TimeoutNegotiation;
import io.isthmus.webroute.handshake.WebRouteHandshake;
import io.isthmus.webroute.handshake.WebRouteRequest;
import io.isthmus.webroute.pairing.Arrival;
import io.isthmus.webroute.pairing.PairingRole;
import io.isthmus.webroute.pairing.PairingRule;
import io.isthmus.webroute.pairing.Rendezvous;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

/**
 * Every request that reaches Remoted, in the reference's order (protocol notes §6): the key decides the
 * role; a client is announced to the server holding its path and waits for the connect-back; a server
 * either registers its path over a WebSocket or connects back for a waiting client.
 */
final class RemotedHandler implements ConnectionHandler {

    private static final ObjectMapper JSON = new ObjectMapper();

    private volatile ApiKeys keys;
    private final ServerRegistry servers;
    private final Rendezvous rendezvous;
    private final RemotedConfig config;
    private final Duration serverDefaultTimeout;
    private final ProtocolMetrics metrics;

    RemotedHandler(ApiKeys keys, ServerRegistry servers, Rendezvous rendezvous, RemotedConfig config,
                   ProtocolMetrics metrics) {
        this.keys = keys;
        this.servers = servers;
        this.rendezvous = rendezvous;
        this.config = config;
        this.serverDefaultTimeout = config.waitTimeout();
        this.metrics = metrics;
    }

    /** Hot reload: new requests are checked against {@code next}; registrations and links made before stay. */
    void useKeys(ApiKeys next) {
        this.keys = next;
    }

    @Override
    public void handle(Handoff handoff) {
        metrics.connectionOpened();
        handoff.channel().closeFuture().addListener(f -> metrics.connectionClosed());
        RequestHead head = handoff.head();
        switch (keys.roleOf(head.header("x-remoted-apikey"))) {
            case CLIENT -> client(handoff);
            case SERVER -> server(handoff);
            default -> refuse(handoff, "invalid_key", RemotedReplies::invalidKey);
        }
    }

    private void client(Handoff handoff) {
        RequestHead head = handoff.head();
        RegisteredServer server = servers.active(head.path());
        if (server == null) {
            refuse(handoff, "missing_destination", RemotedReplies::missingDestination);
            return;
        }
        if (!isWebRouteUpgrade(head)) {
            refuse(handoff, "expected_webroute", RemotedReplies::expectedWebRoute);
            return;
        }
        // Unlike the reference, a rejected client is not announced to the server.
        var checked = WebRouteHandshake.checkOrRefuse(handoff, metrics);
        if (checked.isEmpty()) {
            return;
        }
        WebRouteRequest request = checked.get();
        Arrival arrival = rendezvous.admit(handoff, request, PairingRole.CLIENT, PairingRule.waitOnly());
        if (arrival instanceof Arrival.Parked) {
            server.clientWaiting(handoff.channel());
            server.announce(notification(handoff.client(), request));
            metrics.handshake("client_announced");
        } else if (arrival instanceof Arrival.Refused refused) {
            switch (refused.reason()) {
                // The reference would link two clients with one ID to each other; here the ID is simply in use.
                case SLOT_TAKEN -> RemotedReplies.json(handoff.channel(), 409, "Conflict", RemotedReplies.ID_IN_USE);
                case GONE -> handoff.channel().close();
                case OVERLOADED -> RemotedReplies.overloaded(handoff.channel());
                default -> RemotedReplies.json(handoff.channel(), 503, "Service Unavailable", RemotedReplies.BUSY);
            }
        }
    }

    private void server(Handoff handoff) {
        RequestHead head = handoff.head();
        if (isWebRouteUpgrade(head)) {
            connectBack(handoff);
        } else if (isWebSocketUpgrade(head)) {
            register(handoff);
        } else {
            refuse(handoff, "expected_upgrade", RemotedReplies::expectedWebSocketOrWebRoute);
        }
    }

    /** The server's WebRoute connect-back: it links only with a client waiting under the same path, query and ID. */
    private void connectBack(Handoff handoff) {
        var checked = WebRouteHandshake.checkOrRefuse(handoff, metrics);
        if (checked.isEmpty()) {
            return;
        }
        WebRouteRequest request = checked.get();
        if (!rendezvous.registry().isWaiting(request.key())) {
            refuse(handoff, "no_waiting_client", RemotedReplies::expectedWebSocketOrWebRoute);
            return;
        }
        Arrival arrival = rendezvous.admit(handoff, request, PairingRole.SERVER, PairingRule.linkExisting(PairingRole.CLIENT));
        if (arrival instanceof Arrival.Matched matched) {
            RegisteredServer server = servers.active(handoff.head().path());
            if (server != null) {
                server.clientLinked(matched.partner().channel());
            }
            metrics.handshake("linked");
        } else {
            metrics.rejection("no_waiting_client");
            RemotedReplies.expectedWebSocketOrWebRoute(handoff.channel());
        }
    }

    /** A server registers its path: the reference's WebSocket checks, then the 101, and only then the path. */
    private void register(Handoff handoff) {
        RequestHead head = handoff.head();
        Channel channel = handoff.channel();
        WebSocketHandshake.Problem problem = WebSocketHandshake.check(head);
        if (problem == WebSocketHandshake.Problem.NO_HOST || problem == WebSocketHandshake.Problem.NO_KEY) {
            rawRefusal(handoff, "websocket_bad_request", RemotedReplies.WS_BAD_REQUEST);
            return;
        }
        if (problem == WebSocketHandshake.Problem.UNSUPPORTED_VERSION) {
            rawRefusal(handoff, "websocket_version", RemotedReplies.WS_UPGRADE_REQUIRED);
            return;
        }
        if (problem != null) {
            refuse(handoff, "expected_upgrade", RemotedReplies::expectedWebSocketOrWebRoute);
            return;
        }
        if (head.header("origin") == null) {
            rawRefusal(handoff, "websocket_no_origin", RemotedReplies.WS_FORBIDDEN);
            return;
        }
        if (!Admission.admits(channel, RemotedPlugin.NAME, Admission.Work.WEBSOCKET)) {
            refuse(handoff, "overloaded", RemotedReplies::overloaded);
            return;
        }
        RegisteredServer server = servers.reserve(head.path(), channel);
        if (server == null) {
            refuse(handoff, "path_taken", RemotedReplies::expectedWebSocketOrWebRoute);
            return;
        }
        // Active before the 101 is written: on the event loop the write reaches the wire at once, and the server
        // may tell a client to come before this task continues. A 101 that fails to go out closes the channel,
        // which ends the registration.
        server.activate();
        metrics.handshake("server_registered");
        WebSocketHandshake.complete(channel, head, null, config.maxFramePayload().toIntBytes())
                .addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        // Pings on their own clock (the reference's payload: decimal unix time); any inbound frame, a pong
        // included, keeps the registration alive, whatever the gateway announces meanwhile.
        WebSocketKeepalive.install(channel, new WebSocketKeepalive(config.pingInterval(), config.deadPeerTimeout(),
                alloc -> alloc.buffer(12).writeBytes(Long.toString(System.currentTimeMillis() / 1000)
                        .getBytes(StandardCharsets.US_ASCII)), metrics));
        channel.pipeline().addLast(new RegistrationSocket());
        if (handoff.leftover().isReadable()) {
            channel.pipeline().fireChannelRead(handoff.leftover());
        } else {
            handoff.leftover().release();
        }
        channel.config().setAutoRead(true);
    }

    /** {@code {"ipaddr":"ip:port","id":"<ID>","timeout":N}}, keys in the reference's order. */
    private String notification(InetSocketAddress client, WebRouteRequest request) {
        ObjectNode n = JSON.createObjectNode();
        String host = client.getAddress().getHostAddress();
        n.put("ipaddr", (client.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + client.getPort());
        n.put("id", request.id());
        n.put("timeout", TimeoutNegotiation.forSide(serverDefaultTimeout, request.timeout()).toSeconds());
        try {
            return JSON.writeValueAsString(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private void refuse(Handoff handoff, String reason, java.util.function.Function<Channel, ?> reply) {
        handoff.leftover().release();
        metrics.rejection(reason);
        reply.apply(handoff.channel());
    }

    private void rawRefusal(Handoff handoff, String reason, String bytes) {
        handoff.leftover().release();
        metrics.rejection(reason);
        RemotedReplies.raw(handoff.channel(), bytes);
    }

    /** The reference's test: GET, {@code Connection} contains "upgrade", {@code Upgrade} contains "webroute" (any case). */
    static boolean isWebRouteUpgrade(RequestHead head) {
        return isUpgrade(head, "webroute");
    }

    static boolean isWebSocketUpgrade(RequestHead head) {
        return isUpgrade(head, "websocket");
    }

    private static boolean isUpgrade(RequestHead head, String protocol) {
        String connection = head.header("connection");
        String upgrade = head.header("upgrade");
        return head.method().equals("GET")
                && connection != null && connection.toLowerCase(Locale.ROOT).contains("upgrade")
                && upgrade != null && upgrade.toLowerCase(Locale.ROOT).contains(protocol);
    }
}
