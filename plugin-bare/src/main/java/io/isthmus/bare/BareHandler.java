package io.isthmus.bare;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.isthmus.core.frontdoor.NextRequest;
import io.isthmus.core.http.LingeringClose;
import io.isthmus.core.http.RequestHead;
import io.isthmus.core.overload.Admission;
import io.isthmus.core.spi.ConnectionHandler;
import io.isthmus.core.spi.Handoff;
import io.netty.channel.ChannelFuture;
import java.util.List;

/**
 * Every request under the Bare prefix: the rate limit (when on), OPTIONS anywhere, the manifest at the
 * prefix, then the version routes (BareServer.ts {@code routeRequest}, §A.1). Routes match exactly, so
 * {@code /v3} without its slash is a 404. Replies that carry no forwarded body keep the connection alive
 * when the request had no body of its own.
 */
final class BareHandler implements ConnectionHandler {

    private final BareServer server;
    private final String prefix;
    private final RateLimiter limiter;
    private final V3WebSocket v3WebSocket;
    private final LegacyWebSocket legacyWebSocket;

    BareHandler(BareServer server) {
        this.server = server;
        this.prefix = server.config().prefix();
        this.limiter = server.config().rateLimit().enabled()
                ? new RateLimiter(server.config().rateLimit().requests(), server.config().rateLimit().window()) : null;
        this.v3WebSocket = new V3WebSocket(server);
        this.legacyWebSocket = new LegacyWebSocket(server);
    }

    @Override
    public void handle(Handoff h) {
        RequestHead head = h.head();
        String path = head.path();
        // The route key is the path from the prefix's last slash on (BareServer.ts: pathname.slice(D.length - 1)).
        String route = path.length() >= prefix.length() ? path.substring(prefix.length() - 1) : "";
        if (limiter != null) {
            RateLimiter.Verdict verdict = limiter.admit(h.client().getAddress());
            if (!verdict.allowed()) {
                tooManyRequests(h, verdict);
                return;
            }
        }
        if (head.method().equals("OPTIONS")) {
            reply(h, 200, null, "");
            return;
        }
        boolean upgrade = head.isUpgradeTo("websocket");
        boolean legacy = server.config().legacyVersions();
        if ((route.equals("/v1/") || route.equals("/v2/") || route.equals("/v3/")) && !Admission.admits(h.channel(), BarePlugin.NAME,
                upgrade ? Admission.Work.WEBSOCKET : Admission.Work.REQUEST)) {
            // A forwarded request or a tunnel is new work; manifest, OPTIONS and meta reads stay served.
            error(h, BareError.overloaded(), version(route));
            return;
        }
        try {
            switch (route) {
                case "/" -> reply(h, 200, "application/json", manifest());
                case "/v3/" -> {
                    if (upgrade) {
                        v3WebSocket.accept(h);
                    } else {
                        forward(h, BareRequests.v3(head));
                    }
                }
                case "/v2/", "/v1/" -> {
                    if (!legacy) {
                        error(h, BareError.notFound(), version(route));
                    } else if (upgrade) {
                        legacyWebSocket.accept(h, version(route));
                    } else {
                        forward(h, version(route) == 2 ? BareRequests.v2(head, false) : BareRequests.v1(head, false));
                    }
                }
                case "/v2/ws-new-meta", "/v1/ws-new-meta" -> {
                    if (!legacy) {
                        error(h, BareError.notFound(), version(route));
                    } else {
                        newMeta(h, version(route));
                    }
                }
                case "/v2/ws-meta", "/v1/ws-meta" -> {
                    if (!legacy) {
                        error(h, BareError.notFound(), version(route));
                    } else {
                        readMeta(h, version(route));
                    }
                }
                default -> error(h, BareError.notFound(), 0);
            }
        } catch (BareError.Failure f) {
            error(h, f.error, version(route));
        }
    }

    private static int version(String route) {
        return route.startsWith("/v1/") ? 1 : route.startsWith("/v2/") ? 2 : route.startsWith("/v3/") ? 3 : 0;
    }

    private void forward(Handoff h, RemoteRequest remote) {
        new ForwardExchange(server, h.channel(), h.head(), remote, body(h.head())).start(h.leftover());
    }

    private void newMeta(Handoff h, int version) {
        RemoteRequest remote = version == 2 ? BareRequests.v2(h.head(), true) : null;
        String id = server.metas().register(version, remote,
                HeaderLists.list(h.head().header("x-bare-forward-headers")));
        server.metrics().request(version, "ok");
        reply(h, 200, null, id);
    }

    private void readMeta(Handoff h, int version) {
        String id = h.head().header("x-bare-id");
        if (id == null) {
            throw BareError.missing("x-bare-id").failure();
        }
        MetaStore.Meta meta = server.metas().get(id, version);
        if (meta == null) {
            throw BareError.invalid("request.headers.x-bare-id", "Unregistered ID").failure();
        }
        if (!meta.ready()) {
            throw BareError.invalid("request.headers.x-bare-id", "Meta not ready").failure();
        }
        server.metas().remove(id);
        server.metrics().request(version, "ok");
        if (version == 1) {
            ObjectNode json = BareRequests.JSON.createObjectNode();
            json.set("headers", BareRequests.JSON.valueToTree(meta.headers));
            reply(h, 200, "application/json", BareJson.headerSafe(json));
            return;
        }
        String headersJson = BareJson.headerSafe(BareRequests.JSON.valueToTree(meta.headers));
        List<String[]> lines = new java.util.ArrayList<>();
        lines.add(new String[] {"x-bare-status", Integer.toString(meta.status)});
        lines.add(new String[] {"x-bare-status-text", meta.statusText});
        lines.addAll(SplitHeaders.split(headersJson));
        lines.add(new String[] {"content-length", "0"});
        boolean keep = keepAlive(h.head()) && bodyless(h.head());
        ChannelFuture written = h.channel().writeAndFlush(BareResponses.bytes(h.channel().alloc(),
                BareResponses.head(200, "OK", lines, keep)));
        after(h, keep, written);
    }

    private String manifest() {
        BareConfig.ManifestConfig m = server.config().manifest();
        ObjectNode json = BareRequests.JSON.createObjectNode();
        var versions = json.putArray("versions");
        if (server.config().legacyVersions()) {
            versions.add("v1").add("v2");
        }
        versions.add("v3");
        json.put("language", "Java");
        Runtime rt = Runtime.getRuntime();
        json.put("memoryUsage", Math.round((rt.totalMemory() - rt.freeMemory()) / 1024.0 / 1024.0 * 100) / 100.0);
        ObjectNode maintainer = json.objectNode();
        putIfSet(maintainer, "email", m.maintainerEmail());
        putIfSet(maintainer, "website", m.maintainerWebsite());
        if (!maintainer.isEmpty()) {
            json.set("maintainer", maintainer);
        }
        ObjectNode project = json.objectNode();
        putIfSet(project, "name", m.projectName());
        putIfSet(project, "description", m.projectDescription());
        putIfSet(project, "repository", m.projectRepository());
        putIfSet(project, "version", m.projectVersion());
        if (!project.isEmpty()) {
            json.set("project", project);
        }
        return json.toPrettyString();
    }

    private static void putIfSet(ObjectNode node, String key, String value) {
        if (value != null && !value.isEmpty()) {
            node.put(key, value);
        }
    }

    private void tooManyRequests(Handoff h, RateLimiter.Verdict verdict) {
        server.metrics().request(0, "connection_limit_exceeded");
        String body = "{\"code\":\"CONNECTION_LIMIT_EXCEEDED\",\"id\":\"error.TooManyConnections\","
                + "\"message\":\"Too many requests from this IP address\"}";
        List<String[]> lines = List.of(
                new String[] {"retry-after", Long.toString(verdict.resetSeconds())},
                new String[] {"ratelimit-limit", Integer.toString(limiter.limit())},
                new String[] {"ratelimit-remaining", Integer.toString(verdict.remaining())},
                new String[] {"ratelimit-reset", Long.toString(verdict.resetSeconds())},
                new String[] {"content-type", "application/json"},
                new String[] {"content-length", Integer.toString(body.length())});
        boolean keep = keepAlive(h.head()) && bodyless(h.head()) && !h.head().isUpgradeTo("websocket");
        ChannelFuture written = h.channel().writeAndFlush(BareResponses.bytes(h.channel().alloc(),
                BareResponses.head(429, "Too Many Requests", lines, keep).append(body)));
        after(h, keep, written);
    }

    void error(Handoff h, BareError error, int version) {
        server.metrics().request(version, error.outcome());
        boolean keep = keepAlive(h.head()) && bodyless(h.head()) && !h.head().isUpgradeTo("websocket");
        after(h, keep, BareResponses.error(h.channel(), error, keep));
    }

    private void reply(Handoff h, int status, String contentType, String body) {
        boolean keep = keepAlive(h.head()) && bodyless(h.head());
        after(h, keep, BareResponses.write(h.channel(), status, contentType, body, keep));
    }

    /** Back to the front door for the next request, or a lingering close (a body may still be arriving). */
    private static void after(Handoff h, boolean keep, ChannelFuture written) {
        if (keep) {
            NextRequest.read(h.channel(), h.leftover());
        } else {
            h.leftover().release();
            LingeringClose.after(written);
        }
    }

    static boolean keepAlive(RequestHead head) {
        if (head.headerHasToken("connection", "close")) {
            return false;
        }
        return !head.version().equalsIgnoreCase("HTTP/1.0") || head.headerHasToken("connection", "keep-alive");
    }

    private static boolean bodyless(RequestHead head) {
        String length = head.header("content-length");
        return head.header("transfer-encoding") == null && (length == null || length.equals("0"));
    }

    /** The framing of the request's body; the front door has refused contradictory or bad framing. */
    static RequestBody body(RequestHead head) {
        if (head.header("transfer-encoding") != null) {
            return new RequestBody.Chunked();
        }
        String length = head.header("content-length");
        return length == null ? RequestBody.none() : new RequestBody.Fixed(Long.parseLong(length.trim()));
    }
}
