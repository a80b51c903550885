package io.isthmus.core.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The meters every protocol has, labelled only with {@code protocol} and small enums ({@code direction},
 * {@code outcome}, {@code reason}) — never an ID, path or address.
 *
 * <ul>
 *   <li>{@code isthmus_connections_active{protocol}}: connections the protocol holds now
 *   <li>{@code isthmus_handshakes_total{protocol,outcome}}: handshakes by outcome
 *   <li>{@code isthmus_rejections_total{protocol,reason}}: bad or refused input, by reason
 *   <li>{@code isthmus_egress_refusals_total{protocol,reason}}: outbound dials the egress policy refused
 *   <li>{@code isthmus_splices_active{protocol}}, {@code isthmus_splice_duration_seconds{protocol}}
 *   <li>{@code isthmus_spliced_bytes_total{protocol,direction}}: bytes delivered to the target's transport
 * </ul>
 */
public final class ProtocolMetrics {

    private final MeterRegistry registry;
    private final String protocol;
    private final AtomicInteger activeConnections = new AtomicInteger();
    private final AtomicInteger activeSplices = new AtomicInteger();
    private final Counter upstreamBytes;
    private final Counter downstreamBytes;
    private final Timer spliceDuration;
    private final ConcurrentMap<String, Counter> counters = new ConcurrentHashMap<>();

    ProtocolMetrics(MeterRegistry registry, String protocol) {
        this.registry = registry;
        this.protocol = protocol;
        registry.gauge("isthmus.connections.active", Tags.of("protocol", protocol),
                activeConnections);
        registry.gauge("isthmus.splices.active", Tags.of("protocol", protocol),
                activeSplices);
        this.upstreamBytes = bytes("upstream");
        this.downstreamBytes = bytes("downstream");
        this.spliceDuration = Timer.builder("isthmus.splice.duration")
                .description("How long spliced pairs lived")
                .tag("protocol", protocol)
                .register(registry);
    }

    private Counter bytes(String direction) {
        return Counter.builder("isthmus.spliced")
                .baseUnit("bytes")
                .description("Bytes delivered between the two sides of splices; upstream is from side A to side B")
                .tag("protocol", protocol)
                .tag("direction", direction)
                .register(registry);
    }

    public String protocol() {
        return protocol;
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** Counts a connection the protocol now holds; call {@link #connectionClosed()} when it ends. */
    public void connectionOpened() {
        activeConnections.incrementAndGet();
    }

    public void connectionClosed() {
        activeConnections.decrementAndGet();
    }

    public int activeConnections() {
        return activeConnections.get();
    }

    public void handshake(String outcome) {
        counter("isthmus.handshakes", "outcome", outcome, "Handshakes by outcome").increment();
    }

    public void rejection(String reason) {
        counter("isthmus.rejections", "reason", reason, "Bad or refused input by reason").increment();
    }

    public void egressRefusal(String reason) {
        counter("isthmus.egress.refusals", "reason", reason, "Outbound connections refused by the egress policy").increment();
    }

    /** A keepalive ping went out on a WebSocket the gateway terminates ({@code isthmus_websocket_pings_total}). */
    public void websocketPingSent() {
        counter("isthmus.websocket.pings", "direction", "sent", "Keepalive pings sent on WebSockets the gateway terminates")
                .increment();
    }

    /** A WebSocket was closed because its peer stopped answering ({@code isthmus_websocket_dead_peers_total}). */
    public void websocketDeadPeer() {
        counter("isthmus.websocket.dead.peers", "outcome", "closed",
                "WebSockets closed because nothing arrived for the dead-peer timeout").increment();
    }

    /**
     * This protocol's counter {@code name{protocol, key=value}}, registered on first use. Looked up here
     * rather than through Micrometer's builder each time: a builder registration per connection costs an
     * id, tag sorting and a registry lookup, on the path of every handshake.
     */
    public Counter counter(String name, String key, String value, String description) {
        return counters.computeIfAbsent(name + '\n' + key + '\n' + value,
                k -> Counter.builder(name).tag("protocol", protocol).tag(key, value).description(description).register(registry));
    }

    public Counter upstreamBytes() {
        return upstreamBytes;
    }

    public Counter downstreamBytes() {
        return downstreamBytes;
    }

    public void spliceStarted() {
        activeSplices.incrementAndGet();
    }

    public void spliceEnded(long durationNanos) {
        activeSplices.decrementAndGet();
        spliceDuration.record(durationNanos, TimeUnit.NANOSECONDS);
    }
}
