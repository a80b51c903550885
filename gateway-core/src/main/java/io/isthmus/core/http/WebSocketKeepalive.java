package io.isthmus.core.http;

import io.isthmus.core.metrics.ProtocolMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Keeps a WebSocket the gateway terminates alive and drops it when the peer is gone. Two clocks, both
 * counting only what <em>arrives</em>:
 * <ul>
 *   <li>a PING goes out whenever nothing at all arrived for {@code pingInterval}, whatever the gateway
 *       itself sends meanwhile (announcements, data) — a peer that only answers pings is pinged on time;
 *   <li>the connection is closed when nothing at all arrived for {@code deadPeerTimeout} (0: never); any
 *       inbound byte or frame counts, a PONG as much as data.
 * </ul>
 * The earlier design (Netty's {@code IdleStateHandler} with an all-idle ping) let outgoing frames reset
 * the ping clock while only inbound ones reset the dead-peer clock, so a server that received a client
 * more often than the ping interval was never pinged and was dropped as dead (issue #10).
 *
 * <p>Install it with {@link #install} right behind the frame encoder (so its pings are encoded); it then
 * sees raw inbound bytes, so a large frame arriving slowly keeps the peer alive too. It answers nothing
 * itself: the plugin's handler answers pings. Counted in {@code isthmus_websocket_pings_total{protocol}} and
 * {@code isthmus_websocket_dead_peers_total{protocol}}.
 *
 * <p>Sitting between encoder and decoder, it also sees the close frame the decoder sends when a peer breaks
 * the frame rules (1009 frame too big, 1002 protocol error, 1007 bad UTF-8) and counts it in
 * {@code isthmus_websocket_violations_total{protocol,code}}: such attacks are refused by Netty's decoder
 * and would otherwise go uncounted.
 */
public final class WebSocketKeepalive extends ChannelDuplexHandler {

    public static final String NAME = "isthmus-ws-keepalive";

    private final long pingNanos;
    private final long deadNanos;
    private final Function<ByteBufAllocator, ByteBuf> pingPayload;
    private final ProtocolMetrics metrics;
    private long lastInbound;
    private ScheduledFuture<?> tick;

    /**
     * @param pingInterval    inbound silence after which a ping is sent (and again every interval after)
     * @param deadPeerTimeout inbound silence after which the connection is closed; zero: never
     * @param pingPayload     the payload of each ping (at most 125 bytes), made when it is sent
     * @param metrics         the protocol that counts pings and dead peers
     */
    public WebSocketKeepalive(Duration pingInterval, Duration deadPeerTimeout,
                              Function<ByteBufAllocator, ByteBuf> pingPayload, ProtocolMetrics metrics) {
        if (pingInterval.isNegative() || pingInterval.isZero()) {
            throw new IllegalArgumentException("ping interval must be positive");
        }
        if (deadPeerTimeout.isNegative()) {
            throw new IllegalArgumentException("dead-peer timeout must be 0 or positive");
        }
        this.pingNanos = pingInterval.toNanos();
        this.deadNanos = deadPeerTimeout.toNanos();
        this.pingPayload = pingPayload;
        this.metrics = metrics;
    }

    /**
     * Puts {@code keepalive} behind the frame encoder that {@link WebSocketHandshake#complete} installed (or
     * at the end of the pipeline when there is none). Call on the channel's event loop.
     */
    public static void install(Channel channel, WebSocketKeepalive keepalive) {
        ChannelPipeline p = channel.pipeline();
        if (p.get(WebSocketHandshake.ENCODER) != null) {
            p.addAfter(WebSocketHandshake.ENCODER, NAME, keepalive);
        } else {
            p.addLast(NAME, keepalive);
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        lastInbound = System.nanoTime();
        if (ctx.channel().isActive()) {
            schedule(ctx, pingNanos);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (tick == null) {
            lastInbound = System.nanoTime();
            schedule(ctx, pingNanos);
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        lastInbound = System.nanoTime();
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof CloseWebSocketFrame close) {
            int code = close.statusCode();
            if (code == 1002 || code == 1007 || code == 1009) {
                metrics.counter("isthmus.websocket.violations", "code", Integer.toString(code),
                        "WebSockets closed for breaking the frame rules (1009 too big, 1002 protocol error, 1007 bad UTF-8)")
                        .increment();
            }
        }
        ctx.write(msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    private void cancel() {
        if (tick != null) {
            tick.cancel(false);
        }
    }

    private void schedule(ChannelHandlerContext ctx, long delayNanos) {
        tick = ctx.executor().schedule(() -> check(ctx), delayNanos, TimeUnit.NANOSECONDS);
    }

    private void check(ChannelHandlerContext ctx) {
        if (!ctx.channel().isActive()) {
            return;
        }
        long quiet = System.nanoTime() - lastInbound;
        if (deadNanos > 0 && quiet >= deadNanos) {
            metrics.websocketDeadPeer();
            ctx.channel().close();
            return;
        }
        long next = pingNanos;
        if (quiet >= pingNanos) {
            metrics.websocketPingSent();
            ctx.writeAndFlush(new PingWebSocketFrame(pingPayload.apply(ctx.alloc())));
        } else {
            next = pingNanos - quiet;
        }
        if (deadNanos > 0) {
            next = Math.min(next, deadNanos - quiet);
        }
        schedule(ctx, Math.max(next, 1));
    }
}
