package io.isthmus.webroute.pairing;

import io.isthmus.core.metrics.ProtocolMetrics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;

/**
 * Meters of WebRoute pairing, labelled with the protocol only (never an ID, path or address):
 * <ul>
 *   <li>{@code isthmus_webroute_waiting{protocol}}: connections waiting for a partner now
 *   <li>{@code isthmus_webroute_waiting_limit{protocol}}: the cap on waiting connections ({@code max-waiting}),
 *       so that an alert can compare the two
 *   <li>{@code isthmus_webroute_wait_seconds{protocol}}: how long linked waiters waited
 *   <li>{@code isthmus_handshakes_total{protocol,outcome}}: {@code linked} (once per pair),
 *       {@code timeout} (a lone waiter got the 504), {@code abandoned} (a waiter left first)
 *   <li>{@code isthmus_rejections_total{protocol,reason}}: refused requests, by reason
 * </ul>
 * Bytes by direction and link durations come from the splice engine under the same protocol label.
 */
public final class PairingMetrics {

    private final ProtocolMetrics protocol;
    private final Timer waited;

    public PairingMetrics(ProtocolMetrics protocol, PairingRegistry registry) {
        this.protocol = protocol;
        Gauge.builder("isthmus.webroute.waiting", registry, PairingRegistry::waiting)
                .description("Connections waiting for a WebRoute partner")
                .tag("protocol", protocol.protocol())
                .register(protocol.registry());
        Gauge.builder("isthmus.webroute.waiting.limit", registry, r -> r.limits().maxWaiting())
                .description("The cap on connections waiting for a WebRoute partner (max-waiting)")
                .tag("protocol", protocol.protocol())
                .register(protocol.registry());
        this.waited = Timer.builder("isthmus.webroute.wait")
                .description("How long a linked waiter waited for its partner")
                .tag("protocol", protocol.protocol())
                .register(protocol.registry());
    }

    public ProtocolMetrics protocol() {
        return protocol;
    }

    void linked(Waiter older) {
        protocol.handshake("linked");
        waited.record(older.waitedNanos(), TimeUnit.NANOSECONDS);
    }

    void timedOut() {
        protocol.handshake("timeout");
    }

    void abandoned() {
        protocol.handshake("abandoned");
    }

    public void rejected(String reason) {
        protocol.rejection(reason);
    }
}
