package io.isthmus.core.testing;

import io.isthmus.core.http.PlainResponses;
import io.isthmus.core.spi.ConnectionHandler;
import io.isthmus.core.spi.Handoff;
import io.isthmus.core.splice.SpliceEngine;
import io.isthmus.core.splice.SpliceOptions;
import io.isthmus.core.splice.TcpEndpoint;
import io.netty.channel.EventLoop;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Joins two clients that ask for the same path with {@code Upgrade: probe-pair}: the first waits, the
 * second gets both a 101 and a splice. {@code ?idle=MILLIS} sets the splice's idle timeout,
 * {@code ?halfclose=false} turns half-close off and {@code ?zerocopy=true} asks for the kernel path.
 */
public final class ProbePairing implements ConnectionHandler {

    /** By path: the event loops of the first and the second client just before the splice joined them. */
    public static final Map<String, List<EventLoop>> LOOPS_BEFORE_JOIN = new ConcurrentHashMap<>();

    static final String OK = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: probe-pair\r\nConnection: Upgrade\r\n\r\n";

    private final SpliceEngine splices;
    private final Duration idleTimeout;
    /** First clients by path, shared by every test gateway in this JVM (tests use unique paths). */
    private static final ConcurrentHashMap<String, TcpEndpoint> waiting = new ConcurrentHashMap<>();

    ProbePairing(SpliceEngine splices, Duration idleTimeout) {
        this.splices = splices;
        this.idleTimeout = idleTimeout;
    }

    /** Bytes the first client of {@code path} has sent that wait for its partner (read across threads: for polling). */
    public static int heldFor(String path) {
        TcpEndpoint first = waiting.get(path);
        return first == null ? -1 : first.heldBytes();
    }

    @Override
    public void handle(Handoff handoff) {
        int holdLimit = 1 << 20;
        for (String param : handoff.head().query().split("&")) {
            if (param.startsWith("hold=")) {
                holdLimit = Integer.parseInt(param.substring(5));
            }
        }
        TcpEndpoint endpoint = TcpEndpoint.adopt(handoff.channel(), handoff.leftover(), holdLimit);
        String key = handoff.head().path();
        TcpEndpoint first = ProbeMeeting.meet(waiting, key, endpoint);
        if (first == null) {
            handoff.channel().closeFuture().addListener(f -> waiting.remove(key, endpoint));
            return;
        }
        Duration idle = idleTimeout;
        boolean halfClose = true;
        boolean zeroCopy = false;
        for (String param : handoff.head().query().split("&")) {
            if (param.startsWith("idle=")) {
                idle = Duration.ofMillis(Long.parseLong(param.substring(5)));
            } else if (param.equals("halfclose=false")) {
                halfClose = false;
            } else if (param.equals("zerocopy=true")) {
                zeroCopy = true;
            }
        }
        SpliceOptions options = SpliceOptions.of("probe", idle).withHalfClose(halfClose).withZeroCopy(zeroCopy);
        TcpEndpoint second = endpoint;
        PlainResponses.write(first.channel(), OK);
        PlainResponses.write(second.channel(), OK);
        LOOPS_BEFORE_JOIN.put(key, List.of(first.channel().eventLoop(), second.channel().eventLoop()));
        splices.join(first, second, options);
    }
}
