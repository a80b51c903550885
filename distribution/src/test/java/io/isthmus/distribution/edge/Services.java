package io.isthmus.distribution.edge;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The loopback services behind the gateway in the edge tests: a TCP echo (websockify, Wisp, Bare's
 * WebSocket chain) that passes a half-close on once everything is echoed, and an HTTP origin (Bare, the
 * websocktunnel client's local server) whose {@code POST /echo} answers the body it got.
 */
final class Services implements AutoCloseable {

    private final ServerSocket echo;
    private final HttpServer http;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "edge-service");
        t.setDaemon(true);
        return t;
    });

    Services() throws IOException {
        echo = new ServerSocket(0, 512, InetAddress.getLoopbackAddress());
        pool.execute(this::acceptEcho);
        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 512);
        http.createContext("/echo", ex -> {
            try (ex) {
                byte[] body = ex.getRequestBody().readAllBytes();
                ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
                ex.sendResponseHeaders(200, body.length == 0 ? -1 : body.length);
                if (body.length > 0) {
                    ex.getResponseBody().write(body);
                }
            }
        });
        http.setExecutor(pool);
        http.start();
    }

    int echoPort() {
        return echo.getLocalPort();
    }

    int httpPort() {
        return http.getAddress().getPort();
    }

    private void acceptEcho() {
        while (!echo.isClosed()) {
            try {
                Socket s = echo.accept();
                pool.execute(() -> echoOne(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    private static void echoOne(Socket s) {
        try (s) {
            echoUntilEof(s.getInputStream(), s.getOutputStream());
            s.shutdownOutput();
        } catch (IOException ignored) {
            // a peer that reset mid-stream: nothing to echo
        }
    }

    /** Writes back every byte read, as it comes, until the peer's FIN. */
    static void echoUntilEof(InputStream in, OutputStream out) throws IOException {
        byte[] buf = new byte[64 * 1024];
        for (int n; (n = in.read(buf)) >= 0; ) {
            out.write(buf, 0, n);
            out.flush();
        }
    }

    @Override
    public void close() throws IOException {
        echo.close();
        http.stop(0);
        pool.shutdownNow();
        try {
            pool.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
