package io.isthmus.bare;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.isthmus.core.http.RequestHead;
import io.isthmus.core.http.WebSocketHandshake;
import io.isthmus.core.http.WebSocketKeepalive;
import io.isthmus.core.spi.Handoff;
import io.isthmus.core.splice.SpliceOptions;
import io.isthmus.core.splice.WebSocketEndpoint;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The v3 WebSocket (BareServerV3.md, §A.4): accept the client's socket at once, read its JSON
 * {@code connect} message, open the remote WebSocket through the egress dialer, send {@code open} with the
 * remote's chosen subprotocol and its {@code set-cookie}s, then splice the two sockets message for
 * message (text stays text). What the remote sends before {@code open} is held by its endpoint and
 * delivered after it (the reference loses it). A bad or late connect message, or a remote that does not
 * open, closes the client's socket with nothing sent.
 */
final class V3WebSocket {

    private static final SecureRandom RANDOM = new SecureRandom();
    /** We open the remote socket ourselves: these come from us, not from the client's header list. */
    private static final Set<String> OWN_HEADERS = Set.of("upgrade", "connection", "sec-websocket-key",
            "sec-websocket-version", "sec-websocket-protocol", "sec-websocket-extensions", "content-length",
            "transfer-encoding");

    private final BareServer server;

    V3WebSocket(BareServer server) {
        this.server = server;
    }

    void accept(Handoff h) {
        Channel client = h.channel();
        if (WebSocketHandshake.check(h.head()) != null) {
            throw BareError.invalid("request.headers.upgrade", "Not a valid WebSocket upgrade.").failure();
        }
        int maxPayload = server.config().websocket().maxFramePayload().toIntBytes();
        WebSocketHandshake.complete(client, h.head(), null, maxPayload);
        // Dead-peer detection for the whole tunnel's life: a client that vanished stops holding its remote.
        var ws = server.config().websocket();
        WebSocketKeepalive.install(client, new WebSocketKeepalive(ws.pingInterval(), ws.deadPeerTimeout(),
                alloc -> alloc.buffer(0), server.metrics().protocol()));
        ConnectReader reader = new ConnectReader(h.head());
        client.pipeline().addLast("bare-v3-connect", reader);
        ByteBuf leftover = h.leftover();
        if (leftover.isReadable()) {
            client.pipeline().context(WebSocketHandshake.DECODER).fireChannelRead(leftover);
        } else {
            leftover.release();
        }
    }

    /** Waits for the first message: it must be a text {@code connect}. */
    private final class ConnectReader extends ChannelInboundHandlerAdapter {
        private final RequestHead head;
        private ScheduledFuture<?> timer;
        private boolean done;

        ConnectReader(RequestHead head) {
            this.head = head;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            timer = ctx.executor().schedule(() -> refuse(ctx, "connect_timeout"),
                    server.config().websocket().connectMessageTimeout().toNanos(), TimeUnit.NANOSECONDS);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (done) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (msg instanceof PingWebSocketFrame ping) {
                ctx.writeAndFlush(new PongWebSocketFrame(ping.content()));
                return;
            }
            if (!(msg instanceof TextWebSocketFrame text) || !text.isFinalFragment()) {
                ReferenceCountUtil.release(msg);
                refuse(ctx, "bad_connect");
                return;
            }
            String json = text.text();
            text.release();
            Connect connect;
            try {
                connect = Connect.parse(json, head);
            } catch (RuntimeException e) {
                refuse(ctx, "bad_connect");
                return;
            }
            done = true;
            timer.cancel(false);
            Channel client = ctx.channel();
            ctx.pipeline().remove(this);
            // From here on the client's messages are held by its endpoint until the splice opens.
            WebSocketEndpoint clientEnd = WebSocketEndpoint.adoptMessages(client, null, 64 * 1024);
            RemoteUpgrade.open(server, connect.remote, connect.headers, client.eventLoop(), new RemoteUpgrade.Listener() {
                private WebSocketEndpoint remoteEnd;

                @Override
                public void upgraded(Channel remote, HttpResponse response, String codec) {
                    String accept = response.headers().get("sec-websocket-accept");
                    if (accept == null || !accept.equals(WebSocketHandshake.accept(connect.key))) {
                        remote.close();
                        client.close();
                        server.metrics().websocket(3, "bad_remote_handshake");
                        return;
                    }
                    int maxPayload = server.config().websocket().maxFramePayload().toIntBytes();
                    WebSocketDecoderConfig decoder = WebSocketDecoderConfig.newBuilder()
                            .maxFramePayloadLength(maxPayload).expectMaskedFrames(false).allowMaskMismatch(true)
                            .closeOnProtocolViolation(true).build();
                    remote.pipeline().addAfter(codec, "bare-ws-decoder", new WebSocket13FrameDecoder(decoder));
                    remote.pipeline().addAfter("bare-ws-decoder", "bare-ws-encoder", new WebSocket13FrameEncoder(true));
                    remoteEnd = WebSocketEndpoint.adoptMessages(remote, null, 64 * 1024);
                    String protocol = response.headers().get("sec-websocket-protocol", "");
                    ObjectNode open = BareRequests.JSON.createObjectNode();
                    open.put("type", "open");
                    open.put("protocol", protocol);
                    ArrayNode cookies = open.putArray("setCookies");
                    response.headers().getAll("set-cookie").forEach(cookies::add);
                    client.writeAndFlush(new TextWebSocketFrame(open.toString()));
                    server.metrics().websocket(3, "open");
                    // The remote's endpoint is handed to the splice after the codec has passed on the
                    // bytes it read behind the 101 (the upgrade step removes it when this returns).
                    remote.eventLoop().execute(() -> server.splices().join(clientEnd, remoteEnd,
                            SpliceOptions.of(BarePlugin.NAME, server.config().websocket().idleTimeout()).withHalfClose(false)));
                }

                @Override
                public void failed(Throwable cause, HttpResponse response) {
                    server.metrics().websocket(3, cause instanceof io.isthmus.core.egress.EgressRefusedException
                            ? "remote_refused" : "remote_failed");
                    client.close();
                }
            });
        }

        private void refuse(ChannelHandlerContext ctx, String outcome) {
            if (done) {
                return;
            }
            done = true;
            timer.cancel(false);
            server.metrics().websocket(3, outcome);
            // The reference closes the socket without a close frame or message.
            ctx.channel().close();
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            if (timer != null) {
                timer.cancel(false);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            refuse(ctx, "bad_connect");
        }
    }

    /** The client's connect message, turned into the remote request and its header lines. */
    record Connect(RemoteRequest remote, List<String[]> headers, String key) {

        static Connect parse(String json, RequestHead head) throws IllegalArgumentException {
            JsonNode node;
            try {
                node = BareRequests.JSON.readTree(json);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalArgumentException("not JSON");
            }
            if (node == null || !node.isObject() || !"connect".equals(node.path("type").asText(null))) {
                throw new IllegalArgumentException("not a connect message");
            }
            BareRequests.Url uri = BareRequests.parseUrl(node.path("remote").asText(""), "remote");
            if (!uri.scheme().equals("ws") && !uri.scheme().equals("wss")) {
                throw new IllegalArgumentException("remote must be ws: or wss:");
            }
            boolean secure = uri.scheme().equals("wss");
            int port = uri.port();
            String target = uri.target();
            JsonNode headers = node.path("headers");
            List<String[]> lines = headers.isObject()
                    ? BareRequests.jsonHeaders(headers, OWN_HEADERS, "headers") : new ArrayList<>();
            List<String> forward = BareRequests.jsonForwardNames(node.path("forwardHeaders"), OWN_HEADERS);
            BareRequests.forward(head, lines, forward);
            BareRequests.requireOneHost(lines, "headers");
            if (lines.stream().noneMatch(l -> l[0].equalsIgnoreCase("host"))) {
                boolean defaultPort = port == (secure ? 443 : 80);
                lines.add(0, new String[] {"Host", uri.host() + (defaultPort ? "" : ":" + port)});
            }
            byte[] nonce = new byte[16];
            RANDOM.nextBytes(nonce);
            String key = Base64.getEncoder().encodeToString(nonce);
            lines.add(new String[] {"Upgrade", "websocket"});
            lines.add(new String[] {"Connection", "Upgrade"});
            lines.add(new String[] {"Sec-WebSocket-Key", key});
            lines.add(new String[] {"Sec-WebSocket-Version", "13"});
            List<String> protocols = new ArrayList<>();
            node.path("protocols").forEach(p -> {
                if (BareRequests.isToken(p.asText())) {
                    protocols.add(p.asText());
                }
            });
            if (!protocols.isEmpty()) {
                lines.add(new String[] {"Sec-WebSocket-Protocol", String.join(", ", protocols)});
            }
            RemoteRequest remote = new RemoteRequest(3, secure, uri.host(), port, target, lines, Set.of(), Set.of());
            return new Connect(remote, lines, key);
        }
    }
}
