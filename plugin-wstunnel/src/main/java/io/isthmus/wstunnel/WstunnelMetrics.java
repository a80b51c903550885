package io.isthmus.wstunnel;

import io.isthmus.core.metrics.ProtocolMetrics;
import io.isthmus.wstunnel.wsmux.WsmuxSession;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * websocktunnel's meters beside the common protocol ones (docs/METRICS.md):
 * {@code isthmus_wstunnel_sessions}, {@code isthmus_wstunnel_streams_open},
 * {@code isthmus_wstunnel_viewer_requests_total{outcome}}, {@code isthmus_wstunnel_viewer_websockets_total},
 * {@code isthmus_wstunnel_bytes_total{direction}} (wsmux payload to and from clients),
 * {@code isthmus_wstunnel_viewer_idle_closes_total}, {@code isthmus_wstunnel_ack_stalls_total} (a stream's ACKs withheld because its viewer was slow), and
 * {@code isthmus_rejections_total{reason}} for malformed frames, overruns, client SYNs and dead peers.
 */
public final class WstunnelMetrics {

    private final ProtocolMetrics protocol;
    private final AtomicInteger streamsOpen = new AtomicInteger();
    private final Counter bytesToClients;
    private final Counter bytesFromClients;
    private final Counter ackStalls;
    private final Counter viewerWebSockets;
    private final Counter viewerIdleCloses;

    public WstunnelMetrics(ProtocolMetrics protocol, TunnelRegistry registry) {
        this.protocol = protocol;
        var r = protocol.registry();
        Gauge.builder("isthmus.wstunnel.sessions", registry, TunnelRegistry::size)
                .description("Client sessions registered now").register(r);
        Gauge.builder("isthmus.wstunnel.streams.open", streamsOpen, AtomicInteger::get)
                .description("wsmux streams open now (viewer requests and WebSockets in flight)").register(r);
        this.bytesToClients = Counter.builder("isthmus.wstunnel.bytes").baseUnit("bytes").tag("direction", "to_client")
                .description("wsmux DAT payload bytes, to and from clients").register(r);
        this.bytesFromClients = Counter.builder("isthmus.wstunnel.bytes").baseUnit("bytes").tag("direction", "from_client")
                .description("wsmux DAT payload bytes, to and from clients").register(r);
        this.ackStalls = Counter.builder("isthmus.wstunnel.ack.stalls")
                .description("Times a stream withheld its ACKs because its viewer could not keep up").register(r);
        this.viewerWebSockets = Counter.builder("isthmus.wstunnel.viewer.websockets")
                .description("Viewer WebSockets switched (the client's 101 relayed)").register(r);
        this.viewerIdleCloses = Counter.builder("isthmus.wstunnel.viewer.idle.closes")
                .description("Viewer keep-alive connections closed after viewer-idle-timeout without a next request").register(r);
    }

    public ProtocolMetrics protocol() {
        return protocol;
    }

    /** A viewer's keep-alive connection waited {@code viewer-idle-timeout} for its next request and was closed. */
    public void viewerIdleClosed() {
        viewerIdleCloses.increment();
    }

    /** A viewer request ended: ok, no_client, open_failed, bad_response, incomplete, not_found, viewer_gone. */
    public void viewerRequest(String outcome) {
        protocol.counter("isthmus.wstunnel.viewer.requests", "outcome", outcome, "Viewer requests by outcome").increment();
    }

    public void viewerWebSocket() {
        viewerWebSockets.increment();
    }

    public void streamOpened() {
        streamsOpen.incrementAndGet();
    }

    public void streamClosed() {
        streamsOpen.decrementAndGet();
    }

    public void ackStall() {
        ackStalls.increment();
    }

    /** What one session reports. */
    public WsmuxSession.Events sessionEvents() {
        return new WsmuxSession.Events() {
            @Override
            public void bytesIn(int n) {
                bytesFromClients.increment(n);
            }

            @Override
            public void bytesOut(int n) {
                bytesToClients.increment(n);
            }

            @Override
            public void overrun() {
                protocol.rejection("credit_overrun");
            }

            @Override
            public void malformed(String why) {
                protocol.rejection("malformed_frame");
            }

            @Override
            public void clientSyn() {
                protocol.rejection("client_syn");
            }

            @Override
            public void peerDead() {
                protocol.rejection("missed_pong");
            }

            @Override
            public void ackStall() {
                ackStalls.increment();
            }

            @Override
            public void closed(WsmuxSession session) {
                protocol.connectionClosed();
            }
        };
    }
}
