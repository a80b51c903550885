package io.isthmus.rawsocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.splice.Splice;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.search.Search;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;

/**
 * What the zero-copy tests check about the kernel path: whether a link took it (the
 * {@code isthmus.zero.copy.switches} counter), that everything it held is released at the end, and how busy the
 * gateway's I/O threads are while it waits; plus the seeded random content those tests send.
 */
public final class KernelPathChecks {

    private KernelPathChecks() {
    }

    /** A link took the kernel path (and has not left it), or none did with zero-copy off; any protocol. */
    public static void assertOnPath(Gateway g, boolean kernel) {
        assertOnPath(g, null, kernel);
    }

    /** As {@link #assertOnPath(Gateway, boolean)}, counting only {@code protocol}'s switches. */
    public static void assertOnPath(Gateway g, String protocol, boolean kernel) {
        if (kernel) {
            await().atMost(Duration.ofSeconds(10)).until(() -> switches(g, protocol, "splice") >= 1);
            assertThat(switches(g, protocol, "copy")).as("still on the kernel path").isZero();
        } else {
            assertThat(switches(g, protocol, "splice")).isZero();
        }
    }

    /** Every splice ended, no more pipes or sockets are open than before, and no grown pipe is counted alive. */
    public static void assertReleased(Gateway g, OpenFiles before) {
        await().atMost(Duration.ofSeconds(10)).until(() -> g.splices().liveCount() == 0);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            OpenFiles now = OpenFiles.now();
            assertThat(now.pipes()).as("pipes open (before: %s)", before).isLessThanOrEqualTo(before.pipes());
            assertThat(now.sockets()).as("sockets open (before: %s)", before).isLessThanOrEqualTo(before.sockets());
        });
        // Closed pipes give their grown capacity back to splice.pipe-budget.
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            Gauge grown = g.metrics().registry().find("isthmus.splice.pipe.enlarged").gauge();
            return grown == null || grown.value() == 0; // no gauge: zero-copy off
        });
    }

    /**
     * The one live splice has delivered at most {@code size - 1 MiB} of the {@code size} bytes its target sent:
     * the gateway still holds at least a full 1 MiB pipe (asked right after the target's FIN), so the FIN waits
     * behind the pipe's bytes.
     */
    public static void assertHoldsAFullPipe(Gateway g, long size) {
        Splice s = g.splices().liveSplices().get(0);
        long undelivered = size - (s.downstreamBytes() + s.upstreamBytes());
        assertThat(undelivered).as("bytes the gateway still holds (at least a full 1 MiB pipe) at the FIN")
                .isGreaterThanOrEqualTo(1024 * 1024);
    }

    /** Switches of links to the kernel path ({@code to = "splice"}) or back ({@code "copy"}), over all protocols. */
    public static double switches(Gateway g, String to) {
        return switches(g, null, to);
    }

    /** As {@link #switches(Gateway, String)}, only {@code protocol}'s (all protocols when null). */
    public static double switches(Gateway g, String protocol, String to) {
        Search search = g.metrics().registry().find("isthmus.zero.copy.switches").tag("to", to);
        if (protocol != null) {
            search = search.tag("protocol", protocol);
        }
        double n = 0;
        for (Counter c : search.counters()) {
            n += c.count();
        }
        return n;
    }

    /** CPU time the gateway's I/O threads spend during {@code window}. */
    public static long ioCpuNanos(Duration window) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Map<Long, Long> before = new HashMap<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("isthmus-io")) {
                before.put(t.getId(), mx.getThreadCpuTime(t.getId()));
            }
        }
        assertThat(before).as("no isthmus-io threads").isNotEmpty();
        LockSupport.parkNanos(window.toNanos());
        long busy = 0;
        for (Map.Entry<Long, Long> e : before.entrySet()) {
            long now = mx.getThreadCpuTime(e.getKey());
            if (now >= 0 && e.getValue() >= 0) {
                busy += now - e.getValue();
            }
        }
        return busy;
    }

    /** {@code n} random bytes, seeded with {@code n}: the same content every run. */
    public static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }
}
