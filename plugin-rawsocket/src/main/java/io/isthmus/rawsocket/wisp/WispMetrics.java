package io.isthmus.rawsocket.wisp;

import io.isthmus.core.metrics.ProtocolMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Wisp's meters beside the common ones of {@link ProtocolMetrics} (protocol {@code wisp}: sessions as
 * connections, handshakes, rejections of malformed packets, egress refusals, bytes each way through the
 * splices of its streams). Every label is a small fixed set.
 */
public final class WispMetrics {

    private final ProtocolMetrics protocol;
    private final AtomicInteger tcpStreams = new AtomicInteger();
    private final AtomicInteger udpStreams = new AtomicInteger();
    private final Counter creditStalls;

    public WispMetrics(ProtocolMetrics protocol) {
        this.protocol = protocol;
        Gauge.builder("isthmus.wisp.streams.active", tcpStreams, AtomicInteger::get)
                .description("Wisp streams open now, by type").tags(Tags.of("protocol", protocol.protocol(), "type", "tcp"))
                .register(protocol.registry());
        Gauge.builder("isthmus.wisp.streams.active", udpStreams, AtomicInteger::get)
                .description("Wisp streams open now, by type").tags(Tags.of("protocol", protocol.protocol(), "type", "udp"))
                .register(protocol.registry());
        this.creditStalls = Counter.builder("isthmus.wisp.credit.stalls")
                .description("Times a TCP stream's client used up its CONTINUE credit because the target was slower")
                .tag("protocol", protocol.protocol()).register(protocol.registry());
    }

    public ProtocolMetrics protocol() {
        return protocol;
    }

    /** A session (WebSocket) began: {@code v1} or {@code v2}. */
    public void sessionOpened(String version) {
        protocol.connectionOpened();
        protocol.handshake(version);
    }

    public void sessionClosed() {
        protocol.connectionClosed();
    }

    /** An upgrade or v2 handshake refused, by reason (origin, per_ip_limit, bad_password, ...). */
    public void handshakeRefused(String reason) {
        protocol.handshake("refused_" + reason);
    }

    /** A malformed or misplaced packet ignored: text_frame, short_frame, unknown_type, unknown_stream, bad_connect... */
    public void ignored(String reason) {
        protocol.rejection(reason);
    }

    /** A CONNECT's outcome: {@code opened}, or the close reason it got (blocked, refused, throttled...). */
    public void connect(String outcome) {
        protocol.counter("isthmus.wisp.connects", "outcome", outcome, "Wisp CONNECTs by outcome").increment();
    }

    public void streamOpened(boolean udp) {
        (udp ? udpStreams : tcpStreams).incrementAndGet();
    }

    /** A stream ended with {@code reason} (what the client was told, or heard from it). */
    public void streamClosed(boolean udp, WispCloseReason reason) {
        (udp ? udpStreams : tcpStreams).decrementAndGet();
        protocol.counter("isthmus.wisp.stream.closes", "reason", reason.label(), "Wisp streams closed, by close reason")
                .increment();
    }

    public void creditStall() {
        creditStalls.increment();
    }

    public int activeStreams(boolean udp) {
        return (udp ? udpStreams : tcpStreams).get();
    }
}
