package io.isthmus.remoted.sdk;

import io.isthmus.webroute.client.WebRouteClient;
import io.isthmus.webroute.client.WebRouteConnection;
import io.isthmus.webroute.client.WebRouteException;
import java.io.Closeable;
import java.io.IOException;
import java.net.SocketException;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server socket for a TCP server behind a firewall: bound to {@code rws://KEY@gateway/path}, its
 * {@link #accept()} returns the clients that reach that path through the gateway.
 *
 * <p>It holds a registration WebSocket to the gateway (reconnecting with capped, jittered back-off whenever
 * it drops, so a gateway restart costs clients only the time until the next registration); for every
 * notification it connects back over WebRoute with the client's ID (three tries, as the reference SDK) and
 * queues the linked connection for {@link #accept()}.
 */
public final class RemotedServerSocket implements Closeable {

    private static final Logger LOG = LoggerFactory.getLogger(RemotedServerSocket.class);
    private static final int CONNECT_BACK_TRIES = 3;
    private static final Object CLOSED = new Object();

    private final RemotedUrl url;
    private final Builder options;
    private final HttpClient http;
    private final BlockingQueue<Object> accepted = new LinkedBlockingQueue<>();
    private final ExecutorService connectBacks;
    private final Thread supervisor;
    private final AtomicInteger registrations = new AtomicInteger();
    private volatile boolean closed;
    private volatile WebSocket webSocket;
    private volatile CompletableFuture<Void> registered = new CompletableFuture<>();

    private RemotedServerSocket(RemotedUrl url, Builder options) {
        this.url = url;
        this.options = options;
        HttpClient.Builder http = HttpClient.newBuilder().connectTimeout(options.connectTimeout);
        if (options.sslContext != null) {
            http.sslContext(options.sslContext);
        }
        this.http = http.build();
        this.connectBacks = Executors.newCachedThreadPool(r -> daemon(r, "remoted-connect-back"));
        this.supervisor = daemon(this::registerUntilClosed, "remoted-registration " + url);
        this.supervisor.start();
    }

    /** Binds to {@code rws://KEY@host[:port]/path} (or {@code rwss://}) with default options. */
    public static RemotedServerSocket open(String rwsUrl) throws WebRouteException {
        return builder().open(rwsUrl);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Blocks until a remoted client is linked; throws {@link SocketException} once closed. */
    public RemotedSocket accept() throws IOException, InterruptedException {
        Object next = accepted.take();
        if (next == CLOSED) {
            accepted.offer(CLOSED);
            throw new SocketException("remoted server socket closed");
        }
        return (RemotedSocket) next;
    }

    /** Waits until the registration WebSocket is up (or was re-established after a drop). */
    public boolean awaitRegistered(Duration timeout) throws InterruptedException {
        try {
            registered.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return false;
        }
    }

    public boolean isRegistered() {
        return registered.isDone() && !registered.isCompletedExceptionally() && webSocket != null && !webSocket.isInputClosed();
    }

    /** How many times the registration was made (1 plus reconnections). */
    public int registrations() {
        return registrations.get();
    }

    private void registerUntilClosed() {
        long backoff = options.minBackoff.toMillis();
        while (!closed) {
            CompletableFuture<Void> ended = new CompletableFuture<>();
            try {
                webSocket = http.newWebSocketBuilder()
                        .header("X-Remoted-APIKey", url.key())
                        .header("Origin", url.origin())
                        .connectTimeout(options.connectTimeout)
                        .buildAsync(url.webSocketUri(), new Listener(ended))
                        .get(options.connectTimeout.toMillis() * 2, TimeUnit.MILLISECONDS);
                registrations.incrementAndGet();
                registered.complete(null);
                backoff = options.minBackoff.toMillis();
                ended.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                LOG.debug("registration at {} failed: {}", url, e.toString());
            }
            if (registered.isDone()) {
                registered = new CompletableFuture<>();
            }
            if (closed) {
                return;
            }
            long pause = ThreadLocalRandom.current().nextLong(backoff / 2, backoff + 1);
            try {
                // Back-off between reconnections: a wall-clock pause is the point here.
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            backoff = Math.min(options.maxBackoff.toMillis(), backoff * 2);
        }
    }

    private void connectBack(Notification n) {
        WebRouteClient.Builder client = WebRouteClient.builder()
                .id(n.id())
                .header("X-Remoted-APIKey", url.key())
                .connectTimeout(options.connectTimeout)
                .linkWait(options.connectTimeout);
        if (n.timeoutSeconds() != null) {
            client.timeout(Duration.ofSeconds(n.timeoutSeconds()));
        }
        if (options.sslContext != null) {
            client.tls(options.sslContext.getSocketFactory());
        }
        WebRouteClient c = client.build();
        for (int attempt = 1; attempt <= CONNECT_BACK_TRIES && !closed; attempt++) {
            try {
                WebRouteConnection link = c.connect(url.webRouteUrl());
                accepted.offer(new RemotedSocket(link, n.client()));
                return;
            } catch (IOException e) {
                LOG.debug("connect-back {} of {} to {} failed: {}", attempt, CONNECT_BACK_TRIES, url, e.toString());
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        WebSocket ws = webSocket;
        if (ws != null) {
            ws.abort();
        }
        supervisor.interrupt();
        connectBacks.shutdownNow();
        accepted.offer(CLOSED);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Collects notification text frames; the JDK answers the gateway's pings itself. */
    private final class Listener implements WebSocket.Listener {
        private final CompletableFuture<Void> ended;
        private final StringBuilder text = new StringBuilder();

        Listener(CompletableFuture<Void> ended) {
            this.ended = ended;
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                String message = text.toString();
                text.setLength(0);
                Notification.parse(message).ifPresent(n -> connectBacks.execute(() -> connectBack(n)));
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            ended.complete(null);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            ended.complete(null);
        }
    }

    /** Options of a {@link RemotedServerSocket}. */
    public static final class Builder {
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration minBackoff = Duration.ofMillis(200);
        private Duration maxBackoff = Duration.ofSeconds(10);
        private SSLContext sslContext;

        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = timeout;
            return this;
        }

        /** Bounds of the jittered, doubling pause between registration attempts. */
        public Builder backoff(Duration min, Duration max) {
            this.minBackoff = min;
            this.maxBackoff = max;
            return this;
        }

        /** TLS trust for rwss:// (the JVM's default when not set). */
        public Builder sslContext(SSLContext context) {
            this.sslContext = context;
            return this;
        }

        public RemotedServerSocket open(String rwsUrl) throws WebRouteException {
            return new RemotedServerSocket(RemotedUrl.parse(rwsUrl, "rws", "rwss"), this);
        }
    }
}
