package io.isthmus.remoted;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import io.isthmus.core.testing.WsFrames;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue #10 point 3: a registered server that answers every ping and gets a client more often than the
 * ping interval was never pinged (the announcements reset the ping clock) and was dropped at the dead-peer
 * timeout. Here clients arrive every 150 ms for three dead-peer timeouts; the server must be pinged on
 * schedule and stay registered.
 */
class RemotedKeepaliveTest {

    static Gateway gateway;

    @BeforeAll
    static void start() {
        gateway = TestGateways.start("isthmus.plugins.remoted { server-keys = [\"" + RemotedConformanceTest.SK
                + "\"], client-keys = [\"" + RemotedConformanceTest.CK + "\"], ping-interval = 300ms, dead-peer-timeout = 1s }");
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @Test
    void aBusyServerThatAnswersPingsIsPingedAndNeverDroppedAsDead() throws Exception {
        String path = "/busy-" + UUID.randomUUID() + "/";
        AtomicInteger pings = new AtomicInteger();
        BlockingQueue<String> announced = new LinkedBlockingQueue<>();
        List<RawClient> clients = new ArrayList<>();
        try (RawWebSocket server = RawWebSocket.open(gateway.address(), path,
                "X-Remoted-APIKey: " + RemotedConformanceTest.SK + "\r\nOrigin: http://h\r\n")) {
            assertThat(server.responseHead).startsWith("HTTP/1.1 101 ");
            // The server answers every ping at once and collects announcements, until the gateway closes it.
            CompletableFuture<String> ended = CompletableFuture.supplyAsync(() -> {
                try {
                    for (int i = 0; i < 10_000; i++) {
                        WsFrames.Frame f = server.read();
                        if (f.opcode() == 9) {
                            pings.incrementAndGet();
                            server.send(10, f.payload());
                        } else if (f.opcode() == 1) {
                            announced.add(f.text());
                        } else if (f.opcode() == 8) {
                            return "close frame";
                        }
                    }
                    return "frame bound";
                } catch (IOException e) {
                    return "closed: " + e;
                }
            });
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            for (int i = 0; i < 40 && System.nanoTime() < end; i++) {
                RawClient c = new RawClient(gateway.address(), 10_000);
                clients.add(c);
                c.send(RemotedConformanceTest.webRoute(path, RemotedConformanceTest.CK, "c" + i, ""));
                String note = announced.poll(2, TimeUnit.SECONDS);
                assertThat(note).as("client %d announced (registration alive: %s)", i, ended.isDone() ? ended.get() : "yes")
                        .contains("\"id\":\"c" + i + "\"");
                // A client every 150 ms: more often than the 300 ms ping interval.
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(150));
            }
            assertThat(ended.isDone()).as("the registration is still open").isFalse();
            assertThat(pings.get()).as("pings received in 3 s with a 300 ms interval").isGreaterThanOrEqualTo(4);
        } finally {
            for (RawClient c : clients) {
                c.close();
            }
        }
    }
}
