package io.isthmus.webroute.pairing;

import io.isthmus.core.http.PlainResponses;
import io.isthmus.core.splice.Splice;
import io.isthmus.core.splice.SpliceEngine;
import io.isthmus.core.splice.SpliceOptions;
import io.isthmus.webroute.handshake.TimeoutNegotiation;
import io.isthmus.webroute.handshake.WebRouteResponses;
import io.netty.channel.ChannelFuture;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Links two paired connections: each gets its 101, then the splice engine joins them with the
 * negotiated idle timeout.
 *
 * <p>The 101 never shares a write, nor (within the grace) a client's read, with passthrough bytes: the
 * reference's PHP client drops whatever arrives in the same read as the 101 (protocol notes §3). So the
 * 101 goes out alone, to the newer side first, and the bytes either side sent early stay held by its
 * endpoint until both 101s are flushed and the grace has passed.
 *
 * <p>Links ask for zero-copy: {@code isthmus.splice.zero-copy} decides (auto by default: the kernel path while bulk).
 */
public final class WebRouteLink {

    private final SpliceEngine splices;
    private final PairingMetrics metrics;
    private final Duration defaultTimeout;
    private final Duration grace;
    private final boolean halfClose;

    /**
     * @param defaultTimeout the server default that {@link TimeoutNegotiation} starts from
     * @param grace          how long forwarded bytes wait after both 101s are flushed
     * @param halfClose      pass a FIN on as a half-close; false closes both sides once pending bytes are
     *                       delivered, as the reference does
     */
    public WebRouteLink(SpliceEngine splices, PairingMetrics metrics, Duration defaultTimeout, Duration grace,
                        boolean halfClose) {
        this.splices = splices;
        this.metrics = metrics;
        this.defaultTimeout = defaultTimeout;
        this.grace = grace;
        this.halfClose = halfClose;
    }

    /**
     * Links {@code older} (the waiter, side A of the splice) and {@code newer} (the connection that claimed
     * it, side B). Both must be out of the registry. The returned future gives the splice once it started.
     */
    public Future<Splice> link(Waiter older, Waiter newer) {
        older.cancelDeadline();
        newer.cancelDeadline();
        metrics.linked(older);
        Duration idle = TimeoutNegotiation.negotiate(defaultTimeout, older.request().timeout(), newer.request().timeout());
        // Both sides are TCP connections of the front door, so a link may take the kernel path; whether it
        // does is the operator's isthmus.splice.zero-copy (and the engine's checks: no TLS, epoll, one loop).
        SpliceOptions options = SpliceOptions.of(metrics.protocol().protocol(), idle).withHalfClose(halfClose)
                .withZeroCopy(true);
        Promise<Splice> started = older.channel().eventLoop().newPromise();
        AtomicInteger unflushed = new AtomicInteger(2);
        Runnable oneFlushed = () -> {
            if (unflushed.decrementAndGet() == 0) {
                // A failed 101 (the side just died) still joins: the splice then closes the other side
                // after what it holds, which is the one clean way out for both.
                older.channel().eventLoop().schedule(() -> started.setSuccess(splices.join(older.endpoint(), newer.endpoint(), options)),
                        grace.toNanos(), TimeUnit.NANOSECONDS);
            }
        };
        ChannelFuture toNewer = PlainResponses.write(newer.channel(), WebRouteResponses.switchingProtocols(newer.request().id()));
        ChannelFuture toOlder = PlainResponses.write(older.channel(), WebRouteResponses.switchingProtocols(older.request().id()));
        toNewer.addListener(f -> oneFlushed.run());
        toOlder.addListener(f -> oneFlushed.run());
        return started;
    }
}
