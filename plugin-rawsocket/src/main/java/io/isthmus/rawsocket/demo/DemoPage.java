package io.isthmus.rawsocket.demo;

import io.isthmus.core.http.LingeringClose;
import io.isthmus.core.http.PlainResponses;
import io.isthmus.core.metrics.ProtocolMetrics;
import io.isthmus.core.spi.ConnectionHandler;
import io.isthmus.core.spi.Handoff;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Serves the demo page: one self-contained HTML file (script and style inline; its Direct Sockets tab imports
 * the gateway's own {@code direct-sockets.js}) with the bridge's paths filled in. GET or HEAD of the exact path; the path without its slash is redirected.
 */
public final class DemoPage implements ConnectionHandler {

    private final String path;
    private final byte[] page;
    private final ProtocolMetrics metrics;

    /**
     * @param directSocketsScript the path of {@code direct-sockets.js} for the Direct Sockets tab; empty when
     *                            the gateway does not serve it (the tab then says so)
     */
    public DemoPage(String path, String websockifyPath, String udpPath, String directSocketsScript, ProtocolMetrics metrics) {
        this.path = path;
        this.metrics = metrics;
        this.page = load().replace("{{WEBSOCKIFY_PATH}}", websockifyPath).replace("{{UDP_PATH}}", udpPath)
                .replace("{{DIRECT_SOCKETS_SCRIPT}}", directSocketsScript)
                .getBytes(StandardCharsets.UTF_8);
    }

    private static String load() {
        try (InputStream in = DemoPage.class.getResourceAsStream("index.html")) {
            if (in == null) {
                throw new IllegalStateException("demo page resource missing");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void handle(Handoff handoff) {
        handoff.leftover().release();
        String method = handoff.head().method();
        String requested = handoff.head().path();
        if (!method.equals("GET") && !method.equals("HEAD")) {
            metrics.rejection("demo_method_not_allowed");
            PlainResponses.sendAndClose(handoff.channel(), HttpResponseStatus.METHOD_NOT_ALLOWED, "Method not allowed");
            return;
        }
        if (requested.equals(path.substring(0, path.length() - 1))) {
            ChannelFuture f = PlainResponses.write(handoff.channel(), "HTTP/1.1 301 Moved Permanently\r\nLocation: " + path
                    + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            LingeringClose.after(f);
            return;
        }
        if (!requested.equals(path) && !requested.equals(path + "index.html")) {
            metrics.rejection("no_route");
            PlainResponses.sendAndClose(handoff.channel(), HttpResponseStatus.NOT_FOUND, "Not found");
            return;
        }
        String head = "HTTP/1.1 200 OK\r\n"
                + "Content-Type: text/html; charset=utf-8\r\n"
                + "Content-Length: " + page.length + "\r\n"
                + "Cache-Control: no-cache\r\n"
                + "X-Content-Type-Options: nosniff\r\n"
                + "Content-Security-Policy: default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:\r\n"
                + "Connection: close\r\n\r\n";
        ByteBuf response = PlainResponses.bytes(handoff.channel().alloc(), head);
        if (method.equals("GET")) {
            response.writeBytes(page);
        }
        LingeringClose.after(handoff.channel().writeAndFlush(response));
    }
}
