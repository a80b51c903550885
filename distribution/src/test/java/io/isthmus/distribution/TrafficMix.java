package io.isthmus.distribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.RawClient;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Real traffic on an in-process gateway with the shipped plugins, for the tests of what operators watch:
 * linked WebRoute pairs that have moved bytes both ways, one WebRoute client left waiting, and refusals
 * at the front door ({@code no_route}), in WebRoute ({@code missing_id}) and in Remoted ({@code invalid_key}).
 * Everything stays open (the pairs idle) until {@link #close}, so figures hold still while compared.
 */
final class TrafficMix implements AutoCloseable {

    private final List<RawClient> clients = new ArrayList<>();
    final int pairs;
    final long bytesUp;
    final long bytesDown;

    private TrafficMix(int pairs, long bytesUp, long bytesDown) {
        this.pairs = pairs;
        this.bytesUp = bytesUp;
        this.bytesDown = bytesDown;
    }

    static String webRouteHead(String id) {
        return "GET /status-demo HTTP/1.1\r\nHost: gateway\r\nConnection: Upgrade\r\nUpgrade: webroute\r\n"
                + "WebRoute-Version: 1\r\nWebRoute-ID: " + id + "\r\n\r\n";
    }

    static TrafficMix start(Gateway gateway, int pairs) throws IOException {
        Random random = new Random(16);
        long up = 0;
        long down = 0;
        TrafficMix mix = new TrafficMix(pairs, 0, 0);
        try {
            for (int i = 0; i < pairs; i++) {
                String id = "mix-" + i + "-" + System.nanoTime();
                RawClient a = mix.add(new RawClient(gateway.address(), 10_000));
                a.send(webRouteHead(id));
                await().atMost(Duration.ofSeconds(5)).until(() -> waiting(gateway) >= 1);
                RawClient b = mix.add(new RawClient(gateway.address(), 10_000));
                b.send(webRouteHead(id));
                assertThat(a.readHead()).startsWith("HTTP/1.1 101 ");
                assertThat(b.readHead()).startsWith("HTTP/1.1 101 ");
                byte[] toB = new byte[20_000 * (i + 1)];
                byte[] toA = new byte[150_000 * (i + 1)];
                random.nextBytes(toB);
                random.nextBytes(toA);
                a.send(toB);
                assertThat(b.readExactly(toB.length)).isEqualTo(toB);
                b.send(toA);
                assertThat(a.readExactly(toA.length)).isEqualTo(toA);
                up += toB.length;
                down += toA.length;
            }
            // One client left waiting for a partner that never comes.
            mix.add(new RawClient(gateway.address(), 10_000)).send(webRouteHead("lonely-" + System.nanoTime()));
            await().atMost(Duration.ofSeconds(5)).until(() -> waiting(gateway) >= 1);
            refuse(gateway, "GET /no-such-route HTTP/1.1\r\nHost: gateway\r\n\r\n", "HTTP/1.1 404");
            refuse(gateway, "GET /status-demo HTTP/1.1\r\nHost: gateway\r\nConnection: Upgrade\r\nUpgrade: webroute\r\n"
                    + "WebRoute-Version: 1\r\n\r\n", "HTTP/1.1 400");
            refuse(gateway, "GET /api HTTP/1.1\r\nHost: gateway\r\nX-Remoted-APIKey: not-the-key\r\n\r\n", "HTTP/1.1 403");
        } catch (IOException | RuntimeException | Error e) {
            mix.close();
            throw e;
        }
        TrafficMix done = new TrafficMix(pairs, up, down);
        done.clients.addAll(mix.clients);
        return done;
    }

    private static double waiting(Gateway gateway) {
        var gauge = gateway.metrics().registry().find("isthmus.webroute.waiting").tag("protocol", "webroute").gauge();
        return gauge == null ? 0 : gauge.value();
    }

    private static void refuse(Gateway gateway, String head, String status) throws IOException {
        try (RawClient c = new RawClient(gateway.address(), 10_000)) {
            c.send(head);
            assertThat(c.readToEofAscii()).startsWith(status);
        }
    }

    private RawClient add(RawClient c) {
        clients.add(c);
        return c;
    }

    @Override
    public void close() throws IOException {
        for (RawClient c : clients) {
            c.close();
        }
    }
}
