package io.isthmus.bare;

import com.fasterxml.jackson.databind.JsonNode;
import io.isthmus.core.http.PlainResponses;
import io.isthmus.core.http.RequestHead;
import io.isthmus.core.spi.Handoff;
import io.isthmus.core.splice.SpliceOptions;
import io.isthmus.core.splice.TcpEndpoint;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * v1 and v2 WebSockets (§A.5): the upgrade is passed to the remote with the client's own key, the remote's
 * 101 is answered to the client (with the subprotocol {@code bare} or the meta id), and from then on the
 * two connections are spliced as raw bytes — the frames are end to end. The remote's response is stored
 * under the meta id for {@code ws-meta}. Unlike the reference, v2 sends {@code Connection: Upgrade} to the
 * remote, so the tunnel actually opens.
 */
final class LegacyWebSocket {

    private final BareServer server;

    LegacyWebSocket(BareServer server) {
        this.server = server;
    }

    void accept(Handoff h, int version) {
        RequestHead head = h.head();
        String rawProtocols = head.header("sec-websocket-protocol");
        RemoteRequest remote;
        List<String[]> lines;
        MetaStore.Meta meta;
        String metaId;
        String answerProtocol;
        if (version == 2) {
            metaId = rawProtocols == null ? null : rawProtocols.trim();
            meta = server.metas().get(metaId, 2);
            if (meta == null) {
                throw BareError.invalid("request.headers.sec-websocket-protocol", "Unregistered ID").failure();
            }
            remote = meta.remote;
            lines = new ArrayList<>(remote.sendHeaders());
            List<String> forward = new ArrayList<>(List.of(HeaderLists.DEFAULT_FORWARD_V2));
            forward.addAll(meta.forwardNames);
            BareRequests.forward(head, lines, forward);
            answerProtocol = metaId;
        } else {
            V1Upgrade v1 = v1(head);
            remote = v1.remote();
            lines = new ArrayList<>(remote.sendHeaders());
            metaId = v1.metaId();
            meta = server.metas().get(metaId, 1);
            answerProtocol = "bare";
        }
        // The tunnel needs an upgrade request upstream whatever the client's header list said.
        lines.removeIf(l -> l[0].equalsIgnoreCase("connection") || l[0].equalsIgnoreCase("upgrade"));
        lines.add(new String[] {"Upgrade", "websocket"});
        lines.add(new String[] {"Connection", "Upgrade"});
        Channel client = h.channel();
        // Bytes the client sends before the 101 (its first frames) are held by its endpoint.
        TcpEndpoint clientEnd = TcpEndpoint.adopt(client, h.leftover(), 64 * 1024);
        RemoteUpgrade.open(server, remote, lines, client.eventLoop(), new RemoteUpgrade.Listener() {
            @Override
            public void upgraded(Channel remoteChannel, HttpResponse response, String codec) {
                StringBuilder reply = new StringBuilder("HTTP/1.1 101 Switching Protocols\r\n")
                        .append("Upgrade: websocket\r\nConnection: Upgrade\r\n")
                        .append("Sec-WebSocket-Protocol: ").append(answerProtocol).append("\r\n");
                String accept = response.headers().get("sec-websocket-accept");
                if (accept != null) {
                    reply.append("Sec-WebSocket-Accept: ").append(accept).append("\r\n");
                }
                String extensions = response.headers().get("sec-websocket-extensions");
                if (extensions != null) {
                    reply.append("Sec-WebSocket-Extensions: ").append(extensions).append("\r\n");
                }
                PlainResponses.write(client, reply.append("\r\n").toString());
                if (meta != null) {
                    meta.status = response.status().code();
                    meta.statusText = response.status().reasonPhrase();
                    meta.headers = rawHeaders(response);
                }
                TcpEndpoint remoteEnd = TcpEndpoint.adopt(remoteChannel, null, 64 * 1024);
                server.metrics().websocket(version, "open");
                remoteChannel.eventLoop().execute(() -> server.splices().join(clientEnd, remoteEnd,
                        SpliceOptions.of(BarePlugin.NAME, server.config().websocket().idleTimeout())));
            }

            @Override
            public void failed(Throwable cause, HttpResponse response) {
                server.metrics().websocket(version, cause instanceof io.isthmus.core.egress.EgressRefusedException
                        ? "remote_refused" : "remote_failed");
                client.close();
            }
        });
    }

    /** A v1 upgrade's remote request, read from {@code Sec-WebSocket-Protocol: bare, <encoded meta JSON>}, and its meta id. */
    record V1Upgrade(RemoteRequest remote, String metaId) {
    }

    /** Reads a v1 upgrade (WebSocketProtocol.md); throws {@link BareError.Failure} for a bad header. */
    static V1Upgrade v1(RequestHead head) {
        List<String> offered = HeaderLists.list(head.header("sec-websocket-protocol"));
        String rawProtocols = head.header("sec-websocket-protocol");
        if (offered.size() < 2 || !offered.get(0).equals("bare")) {
            throw BareError.invalid("request.headers.sec-websocket-protocol", "Expected bare and a meta.").failure();
        }
        String[] parts = rawProtocols.split(",\\s*", 2);
        JsonNode json;
        try {
            json = BareRequests.JSON.readTree(decodeProtocol(parts[1].trim()));
        } catch (Exception e) {
            throw BareError.invalid("request.headers.sec-websocket-protocol", "Invalid meta JSON.").failure();
        }
        JsonNode r = json.path("remote");
        String protocol = r.path("protocol").asText("");
        if (!protocol.equals("ws:") && !protocol.equals("wss:")) {
            throw BareError.invalid("request.headers.sec-websocket-protocol", "Unsupported protocol").failure();
        }
        String path = r.path("path").asText("/");
        if (!path.chars().allMatch(c -> c > ' ' && c < 0x7f)) {
            throw BareError.invalid("request.headers.sec-websocket-protocol", "Invalid path").failure();
        }
        // The gateway frames the upgrade itself (as X-Bare-Headers' forbidden send headers).
        List<String[]> lines = BareRequests.jsonHeaders(json.path("headers"), HeaderLists.FORBIDDEN_SEND,
                "request.headers.sec-websocket-protocol");
        List<String> forward = BareRequests.jsonForwardNames(json.path("forward_headers"), HeaderLists.FORBIDDEN_SEND);
        BareRequests.forward(head, lines, forward);
        BareRequests.requireOneHost(lines, "request.headers.sec-websocket-protocol");
        int port = r.path("port").asInt();
        if (port < 0 || port > 65535 || r.path("host").asText().isEmpty()) {
            throw BareError.invalid("request.headers.sec-websocket-protocol", "Invalid host or port").failure();
        }
        RemoteRequest remote = new RemoteRequest(1, protocol.equals("wss:"), r.path("host").asText(), port,
                path.startsWith("/") ? path : "/" + path, lines, Set.of(), Set.of());
        return new V1Upgrade(remote, json.path("id").asText(null));
    }

    /** The remote's headers with their own capitalisation; a repeated name becomes a list. */
    static Map<String, Object> rawHeaders(HttpResponse response) {
        Map<String, Object> out = new LinkedHashMap<>();
        Map<String, String> spelling = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : response.headers()) {
            String lower = e.getKey().toLowerCase(Locale.ROOT);
            String name = spelling.computeIfAbsent(lower, k -> e.getKey());
            Object old = out.get(name);
            if (old == null) {
                out.put(name, e.getValue());
            } else if (old instanceof List<?> list) {
                @SuppressWarnings("unchecked")
                List<String> values = (List<String>) list;
                values.add(e.getValue());
            } else {
                List<String> values = new ArrayList<>();
                values.add((String) old);
                values.add(e.getValue());
                out.put(name, values);
            }
        }
        return out;
    }

    /** WebSocketProtocol.md: {@code %XX} back to the character it stands for. */
    static String decodeProtocol(String encoded) {
        StringBuilder s = new StringBuilder(encoded.length());
        for (int i = 0; i < encoded.length(); i++) {
            char c = encoded.charAt(i);
            if (c == '%' && i + 2 < encoded.length()) {
                s.append((char) Integer.parseInt(encoded.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                s.append(c);
            }
        }
        return s.toString();
    }

    /** The inverse of {@link #decodeProtocol}, for clients and tests. */
    static String encodeProtocol(String text) {
        String valid = "!#$&'*+-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ^_`abcdefghijklmnopqrstuvwxyz|~";
        StringBuilder s = new StringBuilder();
        for (char c : text.toCharArray()) {
            if (valid.indexOf(c) >= 0) {
                s.append(c);
            } else {
                s.append('%').append(String.format("%02x", (int) c));
            }
        }
        return s.toString();
    }
}
