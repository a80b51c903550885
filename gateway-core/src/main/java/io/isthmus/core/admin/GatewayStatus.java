package io.isthmus.core.admin;

import io.isthmus.core.BuildInfo;
import io.isthmus.core.metrics.GatewayMetrics;
import io.isthmus.core.splice.ChannelEndpoint;
import io.isthmus.core.splice.Splice;
import io.isthmus.core.splice.SpliceEngine;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import java.lang.management.ManagementFactory;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Builds the {@link StatusReport} from the one Micrometer registry (so its figures are those of
 * {@code /metrics}) and the splice engine's live links (top talkers). Rates come from the counters'
 * totals sampled once a second ({@link #sample}, on the admin loop), over the last {@link #WINDOW_SAMPLES}
 * seconds: a cheap walk over the registry, and nothing is sampled per connection.
 */
final class GatewayStatus {

    /** Rates span up to this many one-second samples: smooth enough to read, quick enough to follow. */
    static final int WINDOW_SAMPLES = 10;

    private final GatewayMetrics metrics;
    private final Readiness readiness;
    private final SpliceEngine splices;
    private final int topTalkers;
    private final ClientToken tokens = new ClientToken();
    /** Oldest first; touched under this object's lock (the admin loop samples, requests read). */
    private final Deque<Sample> samples = new ArrayDeque<>();

    GatewayStatus(GatewayMetrics metrics, Readiness readiness, SpliceEngine splices, int topTalkers) {
        this.metrics = metrics;
        this.readiness = readiness;
        this.splices = splices;
        this.topTalkers = topTalkers;
    }

    /** Counter totals at one moment, keyed by protocol. */
    private record Sample(long nanos, Map<String, Totals> totals) {
    }

    /** The counters a protocol's rates are taken from. */
    private record Totals(double links, double bytesUp, double bytesDown, double rejections, double egressRefusals) {
        Totals plus(Totals o) {
            return new Totals(links + o.links, bytesUp + o.bytesUp, bytesDown + o.bytesDown,
                    rejections + o.rejections, egressRefusals + o.egressRefusals);
        }
    }

    private static final Totals ZERO = new Totals(0, 0, 0, 0, 0);

    /** One protocol's meters as read now. */
    private static final class Reading {
        double connections;
        double waiting;
        double links;
        Totals totals = ZERO;
        final Map<String, Long> rejections = new TreeMap<>();
        final Map<String, Long> egressRefusals = new TreeMap<>();
        final Map<String, Long> handshakes = new TreeMap<>();
    }

    /** Takes a sample of the counters (the admin loop calls this once a second). */
    synchronized void sample() {
        Map<String, Totals> totals = new HashMap<>();
        read().forEach((protocol, reading) -> totals.put(protocol, reading.totals));
        samples.addLast(new Sample(System.nanoTime(), totals));
        while (samples.size() > WINDOW_SAMPLES + 1) {
            samples.removeFirst();
        }
    }

    synchronized StatusReport report() {
        long now = System.nanoTime();
        Map<String, Reading> readings = read();
        Sample oldest = samples.peekFirst();
        double window = oldest == null ? 0 : (now - oldest.nanos) / 1e9;
        List<StatusReport.ProtocolStatus> protocols = new ArrayList<>();
        new TreeMap<>(readings).forEach((protocol, r) -> {
            Totals then = oldest == null ? r.totals : oldest.totals.getOrDefault(protocol, ZERO);
            protocols.add(new StatusReport.ProtocolStatus(protocol, (long) r.connections, (long) r.waiting, (long) r.links,
                    rate(r.totals.links, then.links, window), (long) r.totals.links,
                    rate(r.totals.bytesUp, then.bytesUp, window), rate(r.totals.bytesDown, then.bytesDown, window),
                    (long) r.totals.bytesUp, (long) r.totals.bytesDown,
                    rate(r.totals.rejections, then.rejections, window), r.rejections,
                    rate(r.totals.egressRefusals, then.egressRefusals, window), r.egressRefusals, r.handshakes));
        });
        return new StatusReport(BuildInfo.version(), readiness.state(),
                ManagementFactory.getRuntimeMXBean().getUptime() / 1000.0, System.currentTimeMillis(),
                Math.round(window * 1000) / 1000.0, protocols, talkers());
    }

    private static double rate(double now, double then, double seconds) {
        // Below half a second the rate says more about timing than about traffic.
        return seconds < 0.5 ? 0 : Math.max(0, now - then) / seconds;
    }

    /** Every meter with a {@code protocol} tag, folded into one reading per protocol. */
    private Map<String, Reading> read() {
        Map<String, Reading> byProtocol = new HashMap<>();
        for (String protocol : metrics.protocols()) {
            byProtocol.put(protocol, new Reading());
        }
        for (Meter meter : metrics.registry().getMeters()) {
            Meter.Id id = meter.getId();
            String protocol = id.getTag("protocol");
            if (protocol == null || !id.getName().startsWith("isthmus.")) {
                continue;
            }
            Reading r = byProtocol.computeIfAbsent(protocol, p -> new Reading());
            String name = id.getName();
            if (meter instanceof Gauge gauge) {
                double v = gauge.value();
                if (Double.isNaN(v)) {
                    continue;
                }
                switch (name) {
                    case "isthmus.connections.active" -> r.connections += v;
                    case "isthmus.splices.active" -> r.links += v;
                    default -> {
                        if (name.endsWith(".waiting")) {
                            r.waiting += v;
                        }
                    }
                }
            } else if (meter instanceof Counter counter) {
                double v = counter.count();
                switch (name) {
                    case "isthmus.splices" -> r.totals = r.totals.plus(new Totals(v, 0, 0, 0, 0));
                    case "isthmus.spliced" -> r.totals = r.totals.plus("upstream".equals(id.getTag("direction"))
                            ? new Totals(0, v, 0, 0, 0) : new Totals(0, 0, v, 0, 0));
                    case "isthmus.rejections" -> {
                        r.totals = r.totals.plus(new Totals(0, 0, 0, v, 0));
                        r.rejections.merge(String.valueOf(id.getTag("reason")), (long) v, Long::sum);
                    }
                    case "isthmus.egress.refusals" -> {
                        r.totals = r.totals.plus(new Totals(0, 0, 0, 0, v));
                        r.egressRefusals.merge(String.valueOf(id.getTag("reason")), (long) v, Long::sum);
                    }
                    case "isthmus.handshakes" -> r.handshakes.merge(String.valueOf(id.getTag("outcome")), (long) v, Long::sum);
                    default -> {
                    }
                }
            }
        }
        return byProtocol;
    }

    /** Live links grouped by protocol and client network, the most bytes first. */
    private List<StatusReport.Talker> talkers() {
        if (topTalkers == 0) {
            return List.of();
        }
        record Key(String protocol, String client) {
        }
        ClientToken.Hasher hasher = tokens.hasher();
        Map<Key, long[]> groups = new HashMap<>();
        for (Splice s : splices.liveSplices()) {
            String client = s.a() instanceof ChannelEndpoint ce ? hasher.token(io.isthmus.core.frontdoor.ClientAddress.of(ce.channel())) : ClientToken.UNKNOWN;
            long[] g = groups.computeIfAbsent(new Key(s.options().protocol(), client), k -> new long[3]);
            g[0]++;
            g[1] += s.upstreamBytes();
            g[2] += s.downstreamBytes();
        }
        return groups.entrySet().stream()
                .sorted(Comparator.comparingLong((Map.Entry<Key, long[]> e) -> e.getValue()[1] + e.getValue()[2]).reversed()
                        .thenComparing(e -> e.getKey().protocol()).thenComparing(e -> e.getKey().client()))
                .limit(topTalkers)
                .map(e -> new StatusReport.Talker(e.getKey().protocol(), e.getKey().client(), (int) e.getValue()[0],
                        e.getValue()[1], e.getValue()[2]))
                .toList();
    }
}
