package io.isthmus.bare;

import io.isthmus.core.egress.EgressDialer;
import io.isthmus.core.egress.EgressPolicy;
import io.isthmus.core.egress.EgressTarget;
import io.isthmus.core.metrics.ProtocolMetrics;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Kept-alive HTTP/1.1 connections to origins: one pool per event loop (no locks, and a connection serves
 * only clients of its own thread), a deque per origin, the warmest connection reused first. A connection
 * comes back only after a complete keep-alive exchange; while idle any byte or close from the origin, or
 * {@code pool-idle-timeout}, ends it. New connections are dialed through the core's egress dialer on the
 * client's event loop, so every address is checked and never resolved twice.
 */
final class OriginPool {

    static final String CODEC = "bare-http-codec";
    static final String IDLE = "bare-pool-idle";

    private final EgressDialer dialer;
    private final EgressPolicy policy;
    private final ProtocolMetrics protocolMetrics;
    private final BareMetrics metrics;
    private final BareConfig.UpstreamConfig config;
    private final SslContext tls;
    private final Map<EventLoop, LoopPool> pools = new ConcurrentHashMap<>();

    OriginPool(EgressDialer dialer, EgressPolicy policy, ProtocolMetrics protocolMetrics, BareMetrics metrics,
               BareConfig.UpstreamConfig config, SslContext tls) {
        this.dialer = dialer;
        this.policy = policy;
        this.protocolMetrics = protocolMetrics;
        this.metrics = metrics;
        this.config = config;
        this.tls = tls;
    }

    /** A connection for {@code remote}, on {@code loop}; pooled when one is idle, else dialed. */
    Future<Origin> acquire(RemoteRequest remote, EventLoop loop, boolean fresh) {
        Promise<Origin> promise = loop.newPromise();
        if (!fresh) {
            Channel idle = pool(loop).poll(remote.origin());
            if (idle != null) {
                metrics.upstreamConnection(true);
                promise.setSuccess(new Origin(idle, remote.origin(), true));
                return promise;
            }
        }
        Future<Channel> dial = dialer.connect(new EgressTarget(remote.host(), remote.port()), policy, loop,
                initializer(remote), protocolMetrics);
        ScheduledFuture<?> timeout = loop.schedule(() -> {
            dial.cancel(false);
            promise.tryFailure(new java.net.SocketTimeoutException("connect timed out"));
        }, config.connectTimeout().toNanos(), TimeUnit.NANOSECONDS);
        dial.addListener(f -> {
            if (!f.isSuccess()) {
                timeout.cancel(false);
                promise.tryFailure(f.cause());
                return;
            }
            Channel ch = dial.getNow();
            SslHandler ssl = ch.pipeline().get(SslHandler.class);
            if (ssl == null) {
                timeout.cancel(false);
                connected(promise, ch, remote);
                return;
            }
            // Only a verified peer gets the request: wait for the handshake (it needs reads).
            ch.config().setAutoRead(true);
            ssl.handshakeFuture().addListener(h -> {
                timeout.cancel(false);
                if (h.isSuccess()) {
                    ch.config().setAutoRead(false);
                    connected(promise, ch, remote);
                } else {
                    ch.close();
                    promise.tryFailure(new TlsFailure(h.cause()));
                }
            });
        });
        promise.addListener(p -> {
            if (p.isCancelled()) {
                dial.cancel(false);
            }
        });
        return promise;
    }

    private void connected(Promise<Origin> promise, Channel ch, RemoteRequest remote) {
        metrics.upstreamConnection(false);
        if (!promise.trySuccess(new Origin(ch, remote.origin(), false))) {
            ch.close();
        }
    }

    private ChannelInitializer<Channel> initializer(RemoteRequest remote) {
        int maxHead = config.maxResponseHead().toIntBytes();
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ChannelPipeline p = ch.pipeline();
                if (remote.secure()) {
                    p.addLast("bare-tls", tlsHandler(tls, ch.alloc(), remote, config.connectTimeout().toMillis()));
                }
                HttpDecoderConfig decoder = new HttpDecoderConfig()
                        .setMaxInitialLineLength(Math.min(maxHead, 16 * 1024))
                        .setMaxHeaderSize(maxHead)
                        // Large pieces of body: fewer writes to the client for big downloads.
                        .setMaxChunkSize(256 * 1024);
                p.addLast(CODEC, new HttpClientCodec(decoder, false, false));
            }
        };
    }

    /**
     * TLS towards an origin: SNI and certificate verification for the URL's host (brackets of an IPv6
     * literal removed; no SNI for an address or a name without a dot, as the JDK and OpenSSL decide).
     */
    static SslHandler tlsHandler(SslContext tls, io.netty.buffer.ByteBufAllocator alloc, RemoteRequest remote, long timeoutMillis) {
        String host = remote.host().startsWith("[") ? remote.host().substring(1, remote.host().length() - 1) : remote.host();
        SslHandler ssl = tls.newHandler(alloc, host, remote.port());
        ssl.setHandshakeTimeoutMillis(timeoutMillis);
        return ssl;
    }

    /**
     * Takes back a connection after a complete keep-alive exchange; closes it when the pool is full or
     * pooling is off. The exchange's handler must already be gone. Call on the connection's event loop.
     */
    void release(Origin origin) {
        Channel ch = origin.channel();
        if (!ch.isActive() || config.maxIdlePerOrigin() == 0) {
            ch.close();
            return;
        }
        pool(ch.eventLoop()).offer(origin.key(), ch);
    }

    private LoopPool pool(EventLoop loop) {
        return pools.computeIfAbsent(loop, l -> new LoopPool());
    }

    /** Idle connections now, over every loop. */
    int idleCount() {
        int n = 0;
        for (LoopPool p : pools.values()) {
            n += p.size;
        }
        return n;
    }

    /** A connection to one origin, and whether it served an exchange before. */
    record Origin(Channel channel, String key, boolean reused) {
    }

    /** The TLS handshake with an origin failed (an untrusted or mismatched certificate, a protocol error). */
    static final class TlsFailure extends Exception {
        private static final long serialVersionUID = 1L;

        TlsFailure(Throwable cause) {
            super(cause == null ? "TLS handshake failed" : cause.getMessage(), cause, false, false);
        }
    }

    /** The pool of one event loop; touched only on that loop. */
    private final class LoopPool {
        private final Map<String, ArrayDeque<Channel>> idle = new HashMap<>();
        private volatile int size;

        Channel poll(String key) {
            ArrayDeque<Channel> q = idle.get(key);
            while (q != null && !q.isEmpty()) {
                Channel ch = q.pollFirst();
                size--;
                IdleWatch watch = (IdleWatch) ch.pipeline().get(IDLE);
                if (watch != null) {
                    ch.pipeline().remove(watch);
                }
                if (ch.isActive()) {
                    return ch;
                }
            }
            return null;
        }

        void offer(String key, Channel ch) {
            ArrayDeque<Channel> q = idle.computeIfAbsent(key, k -> new ArrayDeque<>());
            if (q.size() >= config.maxIdlePerOrigin()) {
                ch.close();
                return;
            }
            q.addFirst(ch);
            size++;
            ch.pipeline().addLast(IDLE, new IdleWatch(this, key));
            ch.config().setAutoRead(true);
        }

        void remove(String key, Channel ch) {
            ArrayDeque<Channel> q = idle.get(key);
            if (q != null && q.remove(ch)) {
                size--;
                if (q.isEmpty()) {
                    idle.remove(key);
                }
            }
        }
    }

    /** Watches an idle connection: the origin closing it, sending anything, or the idle expiry ends it. */
    private final class IdleWatch extends ChannelInboundHandlerAdapter {
        private final LoopPool pool;
        private final String key;
        private ScheduledFuture<?> expiry;

        IdleWatch(LoopPool pool, String key) {
            this.pool = pool;
            this.key = key;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            expiry = ctx.executor().schedule(() -> {
                pool.remove(key, ctx.channel());
                ctx.channel().close();
            }, config.poolIdleTimeout().toNanos(), TimeUnit.NANOSECONDS);
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            expiry.cancel(false);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            // An idle origin has nothing to say; whatever it sends makes the connection unusable.
            ReferenceCountUtil.release(msg);
            pool.remove(key, ctx.channel());
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            pool.remove(key, ctx.channel());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            pool.remove(key, ctx.channel());
            ctx.close();
        }
    }
}
