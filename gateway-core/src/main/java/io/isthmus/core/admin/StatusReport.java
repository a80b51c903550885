package io.isthmus.core.admin;

import java.util.List;
import java.util.Map;

/**
 * What {@code /status.json} answers and {@code /status} shows: per protocol the figures of its meters
 * (the same values {@code /metrics} has at that moment), rates over the last few seconds, and the top
 * talkers. Field names are the JSON's.
 *
 * @param rateWindowSeconds the span the rates are taken over (0 until the first sample is a second old)
 */
public record StatusReport(String version, String state, double uptimeSeconds, long sampledAtMillis,
                           double rateWindowSeconds, List<ProtocolStatus> protocols, List<Talker> topTalkers) {

    /**
     * One protocol's figures.
     *
     * @param connections      {@code isthmus_connections_active}
     * @param waiting          every {@code isthmus_*_waiting} gauge of the protocol (connections waiting for a partner)
     * @param links            {@code isthmus_splices_active}: linked pairs alive now
     * @param linksTotal       {@code isthmus_splices_total}, every mode
     * @param bytesUpstream    {@code isthmus_spliced_bytes_total{direction="upstream"}}
     * @param bytesDownstream  {@code isthmus_spliced_bytes_total{direction="downstream"}}
     * @param rejections       {@code isthmus_rejections_total} by reason
     * @param egressRefusals   {@code isthmus_egress_refusals_total} by reason
     * @param handshakes       {@code isthmus_handshakes_total} by outcome
     */
    public record ProtocolStatus(String protocol, long connections, long waiting, long links,
                                 double linksPerSecond, long linksTotal,
                                 double bytesUpstreamPerSecond, double bytesDownstreamPerSecond,
                                 long bytesUpstream, long bytesDownstream,
                                 double rejectionsPerSecond, Map<String, Long> rejections,
                                 double egressRefusalsPerSecond, Map<String, Long> egressRefusals,
                                 Map<String, Long> handshakes) {
    }

    /**
     * Live links of one protocol from one client network ({@link ClientToken}: side A's peer, the side that
     * asked), with the bytes they have moved so far.
     */
    public record Talker(String protocol, String client, int links, long bytesUpstream, long bytesDownstream) {
    }
}
