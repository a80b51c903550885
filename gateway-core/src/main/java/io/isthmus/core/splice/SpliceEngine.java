package io.isthmus.core.splice;

import io.isthmus.core.config.GatewayConfig.SpliceConfig;
import io.isthmus.core.metrics.GatewayMetrics;
import io.netty.channel.WriteBufferWaterMark;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way two streams are joined. Plugins build two {@link Endpoint}s and call {@link #join}; the
 * engine applies the water marks, counts bytes and durations, writes the access log line, and can drain
 * or abort every live splice at shutdown.
 */
public final class SpliceEngine {

    private static final Logger ACCESS = LoggerFactory.getLogger("isthmus.access");

    private final SpliceConfig config;
    private final GatewayMetrics metrics;
    private final boolean accessLog;
    private final Set<Splice> live = ConcurrentHashMap.newKeySet();

    public SpliceEngine(SpliceConfig config, GatewayMetrics metrics, boolean accessLog) {
        this.config = config;
        this.metrics = metrics;
        this.accessLog = accessLog;
    }

    /** The idle timeout a plugin gets when it has none of its own. */
    public java.time.Duration defaultIdleTimeout() {
        return config.idleTimeout();
    }

    /**
     * Joins {@code a} (the side that asked: a client) and {@code b} (the side it reaches). Bytes already held
     * by either endpoint are delivered first. Returns the live splice; its completion reports how it ended.
     */
    public Splice join(Endpoint a, Endpoint b, SpliceOptions options) {
        WriteBufferWaterMark marks = new WriteBufferWaterMark(
                config.lowWaterMark().toIntBytes(), config.highWaterMark().toIntBytes());
        for (Endpoint e : new Endpoint[] {a, b}) {
            if (e instanceof ChannelEndpoint ce) {
                ce.channel().config().setWriteBufferWaterMark(marks);
            }
        }
        Splice splice = new Splice(a, b, options, metrics.protocol(options.protocol()));
        live.add(splice);
        splice.completion().addListener(f -> {
            live.remove(splice);
            if (accessLog) {
                SpliceResult r = splice.completion().getNow();
                ACCESS.info("protocol={} outcome={} a={} b={} bytes_up={} bytes_down={} duration_s={}{}",
                        options.protocol(), r.outcome(), a.kind(), b.kind(), r.upstreamBytes(), r.downstreamBytes(),
                        String.format(java.util.Locale.ROOT, "%.3f", r.duration().toNanos() / 1e9),
                        r.cause() == null ? "" : " cause=\"" + r.cause() + "\"");
            }
        });
        splice.start();
        return splice;
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
