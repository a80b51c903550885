package io.isthmus.bare;

import io.isthmus.core.metrics.ProtocolMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * Bare's own meters beside the core's {@code protocol="bare"} ones (docs/METRICS.md):
 * {@code isthmus_bare_requests_total{version,outcome}}, {@code isthmus_bare_websockets_total{version,outcome}},
 * {@code isthmus_bare_upstream_requests_total{connection}}, {@code isthmus_bare_upstream_idle_connections},
 * {@code isthmus_bare_body_bytes_total{direction}}, {@code isthmus_bare_response_head_seconds}.
 */
final class BareMetrics {

    private final ProtocolMetrics protocol;
    private final Counter uploaded;
    private final Counter downloaded;
    private final Timer responseHead;
    private final Counter newConnections;
    private final Counter reusedConnections;
    private final java.util.concurrent.ConcurrentMap<String, Counter> counters = new java.util.concurrent.ConcurrentHashMap<>();

    BareMetrics(ProtocolMetrics protocol) {
        this.protocol = protocol;
        var registry = protocol.registry();
        this.uploaded = Counter.builder("isthmus.bare.body").baseUnit("bytes").tag("direction", "upstream")
                .description("Request and response body bytes forwarded; upstream is client to origin").register(registry);
        this.downloaded = Counter.builder("isthmus.bare.body").baseUnit("bytes").tag("direction", "downstream")
                .description("Request and response body bytes forwarded; upstream is client to origin").register(registry);
        this.responseHead = Timer.builder("isthmus.bare.response.head")
                .description("From a Bare request's head to the origin's response head (connect included)")
                .publishPercentiles(0.5, 0.99)
                .register(registry);
        this.newConnections = upstream("new");
        this.reusedConnections = upstream("reused");
    }

    private Counter upstream(String connection) {
        return Counter.builder("isthmus.bare.upstream.requests").tag("connection", connection)
                .description("Requests sent to origins, by whether the connection was new or reused from the pool")
                .register(protocol.registry());
    }

    void idleGauge(IntSupplier idle) {
        Gauge.builder("isthmus.bare.upstream.idle.connections", idle::getAsInt)
                .description("Kept-alive origin connections waiting in the pool").register(protocol.registry());
    }

    ProtocolMetrics protocol() {
        return protocol;
    }

    /** An HTTP request answered: {@code ok}, or the error code in lower case. */
    void request(int version, String outcome) {
        counter("isthmus.bare.requests", version, outcome, "Bare HTTP requests by version and outcome").increment();
    }

    /** A WebSocket tunnel: {@code open}, or why it did not open. */
    void websocket(int version, String outcome) {
        counter("isthmus.bare.websockets", version, outcome, "Bare WebSocket tunnels by version and outcome").increment();
    }

    private Counter counter(String name, int version, String outcome, String description) {
        return counters.computeIfAbsent(name + '\n' + version + '\n' + outcome, k -> Counter.builder(name)
                .tag("protocol", protocol.protocol()).tag("version", "v" + version).tag("outcome", outcome)
                .description(description).register(protocol.registry()));
    }

    void upstreamConnection(boolean reused) {
        (reused ? reusedConnections : newConnections).increment();
    }

    void uploaded(long n) {
        uploaded.increment(n);
    }

    void downloaded(long n) {
        downloaded.increment(n);
    }

    void responseHead(long nanos) {
        responseHead.record(nanos, TimeUnit.NANOSECONDS);
    }
}
