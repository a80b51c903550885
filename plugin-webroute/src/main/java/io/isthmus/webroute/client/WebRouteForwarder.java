package io.isthmus.webroute.client;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Joins a local TCP port to a WebRoute: each accepted local connection becomes one WebRoute connection
 * (the same URL and ID each time). Bytes are copied both ways; the local side's end is passed on as a
 * FIN, and the partner's end ends the forwarded connection; then both sockets close. Two threads per forwarded connection: this is a client tool, not a server.
 */
public final class WebRouteForwarder implements Closeable {

    private final WebRouteClient client;
    private final String url;
    private final Consumer<String> log;
    private final ServerSocket listener;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final AtomicInteger threadNumber = new AtomicInteger();
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "webroute-forward-" + threadNumber.incrementAndGet());
        t.setDaemon(true);
        return t;
    });

    private WebRouteForwarder(WebRouteClient client, String url, ServerSocket listener, Consumer<String> log) {
        this.client = client;
        this.url = url;
        this.listener = listener;
        this.log = log;
    }

    /** Binds {@code listen} and starts accepting; {@code log} hears one line per event worth telling. */
    public static WebRouteForwarder start(InetSocketAddress listen, String url, WebRouteClient client, Consumer<String> log)
            throws IOException {
        ServerSocket listener = new ServerSocket();
        listener.setReuseAddress(true);
        listener.bind(listen);
        WebRouteForwarder f = new WebRouteForwarder(client, url, listener, log);
        f.threads.execute(f::acceptLoop);
        return f;
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) listener.getLocalSocketAddress();
    }

    /** Blocks until {@link #close()}. */
    public void awaitClosed() throws InterruptedException {
        closed.await();
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket local = listener.accept();
                local.setTcpNoDelay(true);
                open.add(local);
                threads.execute(() -> forward(local));
            } catch (IOException e) {
                if (!listener.isClosed()) {
                    log.accept("accept failed: " + e.getMessage());
                }
            }
        }
    }

    private void forward(Socket local) {
        WebRouteConnection remote = null;
        try {
            remote = client.connect(url);
            open.add(remote.socket());
            WebRouteConnection tunnel = remote;
            var upstream = threads.submit(() -> {
                try {
                    StreamBridge.copy(local.getInputStream(), tunnel.output());
                    tunnel.shutdownOutput();
                } catch (IOException | UnsupportedOperationException e) {
                    closeQuietly(tunnel.socket());
                }
                return null;
            });
            try {
                StreamBridge.copy(tunnel.input(), local.getOutputStream());
                local.shutdownOutput();
                // The partner's end ends the forwarded connection: unblock the copy from the local side
                // too, or a local program that never closes would hold this thread forever.
                local.shutdownInput();
            } catch (IOException e) {
                closeQuietly(local);
            }
            upstream.get();
        } catch (WebRouteException e) {
            log.accept("WebRoute connect failed: " + e.getMessage());
        } catch (Exception e) {
            log.accept("forwarding ended: " + e);
        } finally {
            closeQuietly(local);
            open.remove(local);
            if (remote != null) {
                closeQuietly(remote.socket());
                open.remove(remote.socket());
            }
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // Closing is best effort; the socket is abandoned either way.
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (Socket s : open) {
            closeQuietly(s);
        }
        threads.shutdownNow();
        closed.countDown();
    }
}
