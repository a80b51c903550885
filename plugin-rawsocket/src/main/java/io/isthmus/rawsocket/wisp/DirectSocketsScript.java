package io.isthmus.rawsocket.wisp;

import io.isthmus.core.http.PlainResponses;
import io.isthmus.core.spi.ConnectionHandler;
import io.isthmus.core.spi.Handoff;
import io.isthmus.core.spi.Route;
import io.isthmus.core.spi.RouteCondition;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Serves {@code direct-sockets.js} (the Direct Sockets library for web pages) at
 * {@code wisp.direct-sockets-script}, with the Wisp path filled in. Any origin may import it (CORS
 * {@code *}): the Wisp endpoint's own Origin allow-list decides who may use the gateway.
 */
final class DirectSocketsScript implements ConnectionHandler {

    private final String path;
    private final byte[] body;

    DirectSocketsScript(WispConfig config) {
        this.path = config.directSocketsScript();
        try (InputStream in = DirectSocketsScript.class.getResourceAsStream("direct-sockets.js")) {
            String js = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            this.body = js.replace("__WISP_PATH__", config.path()).getBytes(StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("direct-sockets.js is missing from the plugin's jar", e);
        }
    }

    Route route() {
        return new Route(WispRoute.PROTOCOL, path, RouteCondition.any(), this);
    }

    @Override
    public void handle(Handoff handoff) {
        handoff.leftover().release();
        String method = handoff.head().method();
        if (!handoff.head().path().equals(path) || !(method.equals("GET") || method.equals("HEAD"))) {
            PlainResponses.sendAndClose(handoff.channel(), HttpResponseStatus.NOT_FOUND, "not found");
            return;
        }
        String head = "HTTP/1.1 200 OK\r\n"
                + "Content-Type: text/javascript; charset=utf-8\r\n"
                + "Content-Length: " + body.length + "\r\n"
                + "Access-Control-Allow-Origin: *\r\n"
                + "Cache-Control: no-cache\r\n"
                + "X-Content-Type-Options: nosniff\r\n"
                + "Connection: close\r\n\r\n";
        String raw = method.equals("HEAD") ? head : head + new String(body, StandardCharsets.ISO_8859_1);
        PlainResponses.writeAndClose(handoff.channel(), raw);
    }
}
