package io.isthmus.core.splice;

import io.isthmus.core.config.GatewayConfig.SpliceConfig;
import io.isthmus.core.config.ZeroCopyMode;
import io.isthmus.core.metrics.GatewayMetrics;
import io.netty.channel.WriteBufferWaterMark;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way two streams are joined. Plugins build two {@link Endpoint}s and call {@link #join}; the
 * engine applies the water marks, puts both channels on one event loop, picks copy or zero-copy, counts
 * bytes and durations, writes the access log line, and can drain or abort every live splice at shutdown.
 */
public final class SpliceEngine {

    private static final Logger ACCESS = LoggerFactory.getLogger("isthmus.access");

    private final SpliceConfig config;
    private final GatewayMetrics metrics;
    private final boolean accessLog;
    private final Set<Splice> live = ConcurrentHashMap.newKeySet();
    /** Immutable, so every joined channel shares this one instance (a channel keeps a reference to it). */
    private final WriteBufferWaterMark marks;
    /** Only with isthmus.splice.zero-copy on or auto: JNA is bound only where pipes are grown. */
    private final Pipes pipes;
    /** With isthmus.splice.zero-copy = auto: when links move between copying and the kernel path. */
    private final AutoRule auto;

    public SpliceEngine(SpliceConfig config, GatewayMetrics metrics, boolean accessLog) {
        this.config = config;
        this.metrics = metrics;
        this.accessLog = accessLog;
        this.marks = new WriteBufferWaterMark(config.lowWaterMark().toIntBytes(), config.highWaterMark().toIntBytes());
        this.pipes = config.zeroCopy().enabled()
                ? new Pipes(config.pipeSize().toIntBytes(), config.pipeBudget().bytes(), metrics.registry())
                : null;
        this.auto = config.zeroCopy() == ZeroCopyMode.AUTO
                ? new AutoRule(config.autoBulkReadSize().toIntBytes(), config.autoBulkReads(), config.autoInteractiveTurns())
                : null;
    }

    /** The idle timeout a plugin gets when it has none of its own. */
    public java.time.Duration defaultIdleTimeout() {
        return config.idleTimeout();
    }

    /**
     * Joins {@code a} (the side that asked: a client) and {@code b} (the side it reaches). Bytes already held
     * by either endpoint are delivered first. Returns the live splice; its completion reports how it ended.
     *
     * <p>When {@code b} is a channel on another event loop than {@code a}, {@code b}'s channel moves to {@code a}'s loop
     * ({@code isthmus.splice.same-event-loop}) before anything flows: afterwards touch {@code b} only through
     * its channel or endpoint, which follow the move, never through a loop or context captured before. With
     * {@link SpliceOptions#zeroCopy()} asked for and {@code isthmus.splice.zero-copy} on (or auto, while they
     * carry bulk), plain TCP pairs on the epoll transport move bytes inside the kernel; see {@link Splice#mode()}.
     */
    public Splice join(Endpoint a, Endpoint b, SpliceOptions options) {
        for (Endpoint e : new Endpoint[] {a, b}) {
            if (e instanceof ChannelEndpoint ce) {
                ce.channel().config().setWriteBufferWaterMark(marks);
                ce.closeBounds(config.closeFlushTimeout(), config.lingerTimeout());
            }
        }
        int zeroCopyChunk = config.zeroCopy().enabled() && options.zeroCopy() ? config.zeroCopyChunk().toIntBytes() : 0;
        Splice splice = new Splice(a, b, options, metrics.protocol(options.protocol()), zeroCopyChunk, pipes, auto);
        live.add(splice);
        splice.completion().addListener(f -> {
            live.remove(splice);
            if (accessLog) {
                SpliceResult r = splice.completion().getNow();
                ACCESS.info("protocol={} outcome={} mode={} client={} a={} b={} bytes_up={} bytes_down={} duration_s={}{}",
                        options.protocol(), r.outcome(), splice.mode(), client(a), a.kind(), b.kind(), r.upstreamBytes(), r.downstreamBytes(),
                        String.format(java.util.Locale.ROOT, "%.3f", r.duration().toNanos() / 1e9),
                        r.cause() == null ? "" : " cause=\"" + r.cause() + "\"");
            }
        });
        if (config.sameEventLoop() && b instanceof ChannelEndpoint cb && a.eventLoop() != cb.eventLoop()) {
            // If the move fails the splice runs across the two loops, which is correct, only slower.
            // Side A need not be a channel: a multiplexed stream brings its TCP side onto its session's loop.
            cb.moveTo(a.eventLoop()).addListener(moved -> splice.start());
        } else {
            splice.start();
        }
        return splice;
    }

    /** Side A's client address as the front door resolved it (PROXY protocol, trusted forwarding headers), or "-". */
    private static String client(Endpoint a) {
        java.net.InetSocketAddress c = a instanceof ChannelEndpoint ce ? io.isthmus.core.frontdoor.ClientAddress.of(ce.channel()) : null;
        return c == null ? "-" : c.getAddress().getHostAddress();
    }

    /** The splices alive now (a snapshot). */
    public List<Splice> liveSplices() {
        return List.copyOf(live);
    }

    /** Splices alive now. */
    public int liveCount() {
        return live.size();
    }

    /** Closes every live splice at once (the drain deadline passed). */
    public void abortAll() {
        for (Splice s : live.toArray(new Splice[0])) {
            s.abort();
        }
    }
}
