package io.isthmus.core.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.splice.Splice;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/** Two raw clients linked through the probe plugin ({@code /pair/...}), for tests of the splice engine. */
public final class ProbePairs {

    /** The probe plugin's upgrade request for a path. */
    public static final String HEAD = "GET %s HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: probe-pair\r\n\r\n";

    /** Both clients have read their 101 and the gateway has joined them in {@code splice}. */
    public record Linked(RawClient a, RawClient b, Splice splice) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            try {
                a.close();
            } finally {
                b.close();
            }
        }
    }

    private ProbePairs() {
    }

    /**
     * Links two new clients on a fresh path with {@code query} (e.g. {@code "?zerocopy=true"}): A asks first
     * and waits, B asks second. Returns once both have their 101 and the splice exists (the probe writes the
     * 101s before it joins).
     */
    public static Linked link(Gateway gateway, String query) throws IOException {
        String path = "/pair/" + UUID.randomUUID() + query;
        List<Splice> before = gateway.splices().liveSplices();
        RawClient a = new RawClient(gateway.address(), 10_000);
        RawClient b = null;
        try {
            a.send(HEAD.formatted(path));
            await().atMost(Duration.ofSeconds(5)).until(() -> gateway.metrics().registry()
                    .find("isthmus.connections.active").gauge().value() >= 1);
            b = new RawClient(gateway.address(), 10_000);
            b.send(HEAD.formatted(path));
            assertThat(a.readHead()).startsWith("HTTP/1.1 101 ");
            assertThat(b.readHead()).startsWith("HTTP/1.1 101 ");
            Splice splice = await().atMost(Duration.ofSeconds(5)).until(() -> gateway.splices().liveSplices().stream()
                    .filter(s -> !before.contains(s)).findFirst().orElse(null), s -> s != null);
            return new Linked(a, b, splice);
        } catch (IOException | RuntimeException | Error e) {
            a.close();
            if (b != null) {
                b.close();
            }
            throw e;
        }
    }
}
