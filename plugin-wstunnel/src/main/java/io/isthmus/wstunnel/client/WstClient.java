package io.isthmus.wstunnel.client;

import io.isthmus.core.splice.SpliceEngine;
import io.isthmus.core.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakerFactory;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * {@code wst-client}: registers with a websocktunnel server as ID and proxies every stream it opens to
 * {@code localhost:PORT} (websocktunnel.md §7). When a session ends for any reason it reconnects with the
 * Go client's jittered backoff, reading the newest token, and never dies of it; it stops only on
 * {@link #stop}, or when the server refuses a fixed token (4xx: a retry cannot help).
 */
public final class WstClient implements AutoCloseable {

    /** What a connection attempt came to. */
    enum Attempt { SERVED, NETWORK, REFUSED, RETRYABLE_STATUS }

    private static final int MAX_MESSAGE = 8 * 1024 * 1024 + 64;
    private static final long WINDOW = 4L * 1024 * 1024;

    private final URI server;
    private final String id;
    private final InetSocketAddress target;
    private final TokenSource tokens;
    private final Path outFile;
    private final Consumer<String> log;
    private final Transport transport;
    private final EventLoopGroup group;
    private final SpliceEngine splices;
    private final Duration pingInterval;
    private volatile boolean stopped;
    private volatile Channel current;
    /** The channel whose handshake completed: a session is up while it is active. */
    private volatile Channel session;
    private volatile String clientUrl;
    private volatile int sessions;

    public WstClient(String server, String id, int port, TokenSource tokens, Path outFile, Consumer<String> log,
                     SpliceEngine splices, Duration pingInterval) {
        String s = server.replaceFirst("^http://", "ws://").replaceFirst("^https://", "wss://");
        this.server = URI.create(s);
        this.id = id;
        this.target = new InetSocketAddress("localhost", port);
        this.tokens = tokens;
        this.outFile = outFile;
        this.log = log;
        this.transport = Transport.choose("auto");
        this.group = transport.newGroup(1, new DefaultThreadFactory("wst-client", true));
        this.splices = splices;
        this.pingInterval = pingInterval;
    }

    /** The URL the server announced for this client, or null before the first session. */
    public String clientUrl() {
        return clientUrl;
    }

    /** Sessions established so far (reconnects count). */
    public int sessions() {
        return sessions;
    }

    /** Whether a session is up now. */
    public boolean connected() {
        Channel c = session;
        return c != null && c.isActive();
    }

    /**
     * Runs until {@link #stop}; returns the exit status: 0 when stopped, 1 when a fixed token was refused
     * (or no token ever came on standard input).
     */
    public int run() throws InterruptedException {
        Backoff backoff = Backoff.goDefaults();
        String token = tokens.await(Long.MAX_VALUE / 2);
        while (!stopped) {
            Attempt a = connectOnce(token);
            if (stopped) {
                break;
            }
            switch (a) {
                case SERVED -> backoff.reset();
                case REFUSED -> {
                    if (!tokens.fromStdin()) {
                        log.accept("auth failed: the server refused the token");
                        return 1;
                    }
                    log.accept("auth failed: waiting for a new token on standard input");
                    String newer = tokens.awaitNewer(token, Long.MAX_VALUE / 2);
                    if (newer == null) {
                        return 1;
                    }
                    token = newer;
                    continue;
                }
                default -> {
                }
            }
            Duration delay = backoff.next();
            log.accept("reconnecting in " + delay.toMillis() + " ms");
            if (sleep(delay)) {
                break;
            }
            token = tokens.await(0) == null ? token : tokens.await(0);
        }
        return 0;
    }

    private final Object sleeper = new Object();

    /** Waits {@code d}, or until stopped; true when stopped. */
    private boolean sleep(Duration d) throws InterruptedException {
        long deadline = System.nanoTime() + d.toNanos();
        synchronized (sleeper) {
            while (!stopped) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    return false;
                }
                sleeper.wait(left);
            }
        }
        return true;
    }

    /** One connection: handshake, then serve until the session ends. */
    private Attempt connectOnce(String token) throws InterruptedException {
        boolean tls = "wss".equals(server.getScheme());
        int port = server.getPort() > 0 ? server.getPort() : tls ? 443 : 80;
        String path = server.getRawPath() == null || server.getRawPath().isEmpty() ? "/" : server.getRawPath();
        URI uri = URI.create(server.getScheme() + "://" + server.getHost() + ":" + port + path
                + (server.getRawQuery() == null ? "" : "?" + server.getRawQuery()));
        HttpHeaders headers = new DefaultHttpHeaders()
                .set("Authorization", "Bearer " + token)
                .set("x-websocktunnel-id", id)
                .set("User-Agent", "isthmus-wst-client");
        WebSocketClientHandshaker handshaker = WebSocketClientHandshakerFactory.newHandshaker(uri, WebSocketVersion.V13,
                null, false, headers, MAX_MESSAGE);
        Promise<Attempt> outcome = group.next().newPromise();
        SslContext ssl;
        try {
            ssl = tls ? SslContextBuilder.forClient().build() : null;
        } catch (javax.net.ssl.SSLException e) {
            log.accept("TLS: " + e.getMessage());
            return Attempt.NETWORK;
        }
        ChannelFuture connect = new Bootstrap().group(group).channel(transport.socketChannel())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (ssl != null) {
                            ch.pipeline().addLast(ssl.newHandler(ch.alloc(), server.getHost(), port));
                        }
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(64 * 1024),
                                new Handshake(handshaker, outcome));
                    }
                })
                .connect(server.getHost(), port);
        if (!connect.await(35, TimeUnit.SECONDS) || !connect.isSuccess()) {
            log.accept("cannot connect to " + server + ": " + (connect.cause() == null ? "timeout" : connect.cause().getMessage()));
            connect.channel().close();
            return Attempt.NETWORK;
        }
        Channel ch = connect.channel();
        current = ch;
        ch.closeFuture().addListener(f -> outcome.trySuccess(Attempt.NETWORK));
        if (!outcome.await(45, TimeUnit.SECONDS)) {
            ch.close();
            return Attempt.NETWORK;
        }
        Attempt a = outcome.getNow();
        if (a == Attempt.SERVED) {
            ch.closeFuture().await();
            log.accept("session ended");
        } else {
            ch.close();
        }
        return a;
    }

    /** Finishes the handshake, then swaps the pipeline for a wsmux client session. */
    private final class Handshake extends SimpleChannelInboundHandler<FullHttpResponse> {
        private final WebSocketClientHandshaker handshaker;
        private final Promise<Attempt> outcome;

        Handshake(WebSocketClientHandshaker handshaker, Promise<Attempt> outcome) {
            this.handshaker = handshaker;
            this.outcome = outcome;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            handshaker.handshake(ctx.channel());
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
            int status = response.status().code();
            if (status != 101) {
                log.accept("server answered " + response.status());
                // §7: 4xx (401: auth failed) is final for a fixed token; 3xx and 5xx are retried.
                outcome.trySuccess(status >= 400 && status < 500 ? Attempt.REFUSED : Attempt.RETRYABLE_STATUS);
                ctx.close();
                return;
            }
            try {
                handshaker.finishHandshake(ctx.channel(), response);
            } catch (RuntimeException e) {
                log.accept("bad handshake: " + e.getMessage());
                outcome.trySuccess(Attempt.NETWORK);
                ctx.close();
                return;
            }
            String url = response.headers().get("x-websocktunnel-client-url", "");
            clientUrl = url;
            log.accept("connected; viewers reach this client at " + url);
            if (outFile != null) {
                try {
                    Files.writeString(outFile, url, StandardCharsets.UTF_8);
                } catch (java.io.IOException e) {
                    log.accept("cannot write " + outFile + ": " + e.getMessage());
                }
            }
            ctx.pipeline().remove(this);
            if (ctx.pipeline().get(WebSocketFrameEncoder.class) != null) {
                ctx.pipeline().replace(WebSocketFrameEncoder.class, "ws-encoder", new MaskingFrameEncoder());
            }
            ctx.pipeline().addLast(new WebSocketFrameAggregator(MAX_MESSAGE),
                    new ClientSession(ctx.channel(), target, transport.socketChannel(), splices, pingInterval, WINDOW, log));
            sessions++;
            session = ctx.channel();
            outcome.trySuccess(Attempt.SERVED);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.accept("connection failed: " + cause.getMessage());
            outcome.trySuccess(Attempt.NETWORK);
            ctx.close();
        }
    }

    /** Ends the current session and the reconnect loop. */
    public void stop() {
        stopped = true;
        synchronized (sleeper) {
            sleeper.notifyAll();
        }
        Channel c = current;
        if (c != null) {
            c.close();
        }
    }

    /** Drops the current session (tests: the client must reconnect). */
    public void dropSession() {
        Channel c = current;
        if (c != null) {
            c.close();
        }
    }

    @Override
    public void close() {
        stop();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    }
}
