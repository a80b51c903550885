package io.isthmus.core.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A tiny real HTTP server on a free 127.0.0.1 port (the JDK's own) that serves test pages for the
 * browser tests: {@code /} and any other path added with {@link #add}. Each body is served with its
 * content type from the path's ending.
 */
public final class StaticPages implements AutoCloseable {

    private final HttpServer server;
    private final Map<String, byte[]> bodies = new ConcurrentHashMap<>();

    private StaticPages(HttpServer server) {
        this.server = server;
    }

    /** Serves {@code indexHtml} at {@code /}. */
    public static StaticPages serve(String indexHtml) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        StaticPages pages = new StaticPages(server);
        pages.add("/", indexHtml);
        server.createContext("/", exchange -> {
            byte[] body = pages.bodies.get(exchange.getRequestURI().getPath());
            try (exchange; OutputStream out = exchange.getResponseBody()) {
                if (body == null) {
                    exchange.sendResponseHeaders(404, -1);
                    return;
                }
                exchange.getResponseHeaders().set("Content-Type", contentType(exchange.getRequestURI().getPath()));
                exchange.getResponseHeaders().set("Cache-Control", "no-store");
                exchange.sendResponseHeaders(200, body.length);
                out.write(body);
            }
        });
        server.start();
        return pages;
    }

    /** Serves {@code body} at {@code path} (from now on). */
    public StaticPages add(String path, String body) {
        bodies.put(path, body.getBytes(StandardCharsets.UTF_8));
        return this;
    }

    /** {@code http://127.0.0.1:PORT/}. */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/";
    }

    private static String contentType(String path) {
        if (path.endsWith(".js") || path.endsWith(".mjs")) {
            return "text/javascript; charset=utf-8";
        }
        if (path.endsWith(".json")) {
            return "application/json";
        }
        return "text/html; charset=utf-8";
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
