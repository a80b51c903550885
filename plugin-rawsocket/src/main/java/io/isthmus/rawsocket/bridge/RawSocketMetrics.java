package io.isthmus.rawsocket.bridge;

import io.isthmus.core.metrics.ProtocolMetrics;
import io.isthmus.core.splice.DatagramEndpoint;
import io.micrometer.core.instrument.Counter;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The bridge's own meters beside the core's per-protocol ones (docs/METRICS.md, "Raw sockets"); labels
 * are small enums only: the endpoint kind, an outcome, a direction, a reason.
 */
public final class RawSocketMetrics {

    private final ProtocolMetrics protocol;
    private final ConcurrentMap<String, Counter> counters = new ConcurrentHashMap<>();
    private final Counter portMessages;

    public RawSocketMetrics(ProtocolMetrics protocol) {
        this.protocol = protocol;
        this.portMessages = Counter.builder("isthmus.rawsocket.emscripten.port.messages")
                .tag("protocol", protocol.protocol())
                .description("Emscripten port-announcement messages consumed at the start of UDP flows")
                .register(protocol.registry());
    }

    public ProtocolMetrics protocol() {
        return protocol;
    }

    /** A bridge connection ended (or was refused) with {@code outcome}. */
    public void connection(String endpoint, String outcome) {
        counter("isthmus.rawsocket.connections", "endpoint", endpoint, "outcome", outcome,
                "Bridge connections by endpoint and how they ended").increment();
    }

    /** Bytes a finished connection moved; {@code upstream} is from the client to the target. */
    public void bytes(String endpoint, long upstream, long downstream) {
        counter("isthmus.rawsocket.bytes", "endpoint", endpoint, "direction", "upstream",
                "Bytes bridged, by endpoint and direction, counted when a connection ends").increment(upstream);
        counter("isthmus.rawsocket.bytes", "endpoint", endpoint, "direction", "downstream",
                "Bytes bridged, by endpoint and direction, counted when a connection ends").increment(downstream);
    }

    /** A request or connection refused for {@code reason} (also in the core's rejections). */
    public void refusal(String endpoint, String reason) {
        protocol.rejection(reason);
        connection(endpoint, "refused");
    }

    public void portMessageConsumed() {
        portMessages.increment();
    }

    /** A datagram dropped before it reached its side; {@code upstream} when it came from the client. */
    public void datagramDropped(boolean upstream, String reason) {
        counter("isthmus.rawsocket.udp.dropped", "direction", upstream ? "upstream" : "downstream", "reason", reason,
                "UDP datagrams dropped, by direction and reason").increment();
    }

    /** Counts a flow's datagrams: sent to the target (upstream) and received from it (downstream). */
    public DatagramEndpoint.Listener datagramListener() {
        Counter up = counter("isthmus.rawsocket.udp.datagrams", "direction", "upstream", null, null,
                "UDP datagrams bridged, by direction");
        Counter down = counter("isthmus.rawsocket.udp.datagrams", "direction", "downstream", null, null,
                "UDP datagrams bridged, by direction");
        return new DatagramEndpoint.Listener() {
            @Override
            public void received(int bytes) {
                down.increment();
            }

            @Override
            public void sent(int bytes) {
                up.increment();
            }

            @Override
            public void droppedOversize(boolean inbound, int bytes) {
                datagramDropped(!inbound, "oversize");
            }
        };
    }

    private Counter counter(String name, String k1, String v1, String k2, String v2, String description) {
        String key = name + '\n' + v1 + '\n' + v2;
        return counters.computeIfAbsent(key, k -> {
            var b = Counter.builder(name).tag("protocol", protocol.protocol()).tag(k1, v1).description(description);
            if (k2 != null) {
                b.tag(k2, v2);
            }
            return b.register(protocol.registry());
        });
    }
}
