package io.isthmus.wstunnel;

import static io.isthmus.wstunnel.Jwts.A;
import static io.isthmus.wstunnel.Jwts.B;
import static io.isthmus.wstunnel.Jwts.valid;
import static io.isthmus.wstunnel.WsmuxTestClient.ACK;
import static io.isthmus.wstunnel.WsmuxTestClient.DAT;
import static io.isthmus.wstunnel.WsmuxTestClient.FIN;
import static io.isthmus.wstunnel.WsmuxTestClient.SYN;
import static io.isthmus.wstunnel.WsmuxTestClient.le;
import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import io.isthmus.wstunnel.WsmuxTestClient.Frame;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The server's ACK cadence (websocktunnel.md §4): credit goes back once a quarter of the client's window has
 * reached the viewer, not once per read, and still only for bytes that reached it — every byte is
 * acknowledged before the server's FIN, an old client's 4 KiB window gets its credit back in time, and a
 * viewer that stops reading stops the client.
 */
class WsmuxAckCadenceTest {

    static Gateway gateway;
    static InetSocketAddress address;

    @BeforeAll
    static void start() {
        gateway = TestGateways.start("""
                isthmus.plugins.wstunnel {
                  prefix = "/"
                  url-prefix = "http://h:1/"
                  secrets = ["%s", "%s"]
                }
                """.formatted(A, B));
        address = gateway.address();
    }

    @AfterAll
    static void stop() {
        gateway.shutdown();
    }

    private static WsmuxTestClient register(String id) throws IOException {
        WsmuxTestClient c = WsmuxTestClient.register(address, "/", id, valid(id));
        assertThat(c.responseHead).startsWith("HTTP/1.1 101");
        return c;
    }

    /** A viewer that reads the whole response of one GET as fast as it comes. */
    private static CompletableFuture<byte[]> viewer(String path) {
        return CompletableFuture.supplyAsync(() -> {
            try (RawClient v = new RawClient(address, 20_000)) {
                v.send("GET " + path + " HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
                return v.readToEof();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static byte[] head(int length) {
        return ("HTTP/1.1 200 OK\r\nContent-Length: " + length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * Sends {@code body} in DATs of at most {@code dat} bytes, never beyond the credit this client assumes the
     * server gives it (its own {@code window}, §4), waiting for ACKs when it runs out. Returns the ACKs seen.
     */
    private static int sendWithinCredit(WsmuxTestClient c, int id, byte[] body, int dat, long window, long[] acked)
            throws Exception {
        long credit = window;
        int acks = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        for (int off = 0; off < body.length; ) {
            assertThat(System.nanoTime()).as("credit came back in time after %d bytes", off).isLessThan(deadline);
            Frame f = c.next(credit > 0 ? 0 : 200);
            if (f != null) {
                if (f.type() == ACK && f.id() == id) {
                    credit += f.ackValue();
                    acked[0] += f.ackValue();
                    acks++;
                }
                continue;
            }
            int n = (int) Math.min(Math.min(dat, credit), body.length - off);
            if (n > 0) {
                c.send(DAT, id, Arrays.copyOfRange(body, off, off + n));
                credit -= n;
                off += n;
            }
        }
        return acks;
    }

    @Test
    void aFourMiBClientGetsOneAckPerMiBAndEveryByteAcknowledgedBeforeTheFin() throws Exception {
        try (WsmuxTestClient c = register("cad1")) {
            byte[] body = new byte[3 << 20];
            new java.util.Random(1).nextBytes(body);
            CompletableFuture<byte[]> v = viewer("/cad1/big");
            int id = c.acceptStream(4 << 20, null);
            byte[] head = head(body.length);
            c.send(DAT, id, head);
            long[] acked = {0};
            int acks = sendWithinCredit(c, id, body, 64 * 1024, 4 << 20, acked);
            // The FIN follows the body; every ACK before it.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            Frame f;
            while ((f = c.next(200)) == null || f.type() != FIN || f.id() != id) {
                assertThat(System.nanoTime()).as("a FIN after the body").isLessThan(deadline);
                if (f != null && f.type() == ACK && f.id() == id) {
                    acked[0] += f.ackValue();
                    acks++;
                }
            }
            byte[] got = v.get(20, TimeUnit.SECONDS);
            assertThat(Arrays.copyOfRange(got, got.length - body.length, got.length)).isEqualTo(body);
            assertThat(acked[0]).as("every byte acknowledged before the FIN").isEqualTo(head.length + body.length);
            // 48 DATs of 64 KiB (one ACK each before): one ACK per 1 MiB consumed, and the rest before the FIN.
            assertThat(acks).as("ACKs for 3 MiB with a 4 MiB window").isBetween(3, 4);
        }
    }

    @Test
    void anOldClientsSmallWindowGetsItsCreditBackInTime() throws Exception {
        for (long window : new long[] {1024, 4096}) {
            try (WsmuxTestClient c = register("cad2w" + window)) {
                byte[] body = new byte[200_000];
                new java.util.Random(window).nextBytes(body);
                CompletableFuture<byte[]> v = viewer("/cad2w" + window + "/file");
                int id = c.acceptStream(window, null);
                byte[] head = head(body.length);
                long[] acked = {0};
                sendWithinCredit(c, id, head, 1024, window, acked);
                int acks = sendWithinCredit(c, id, body, 1024, window - head.length + acked[0], acked);
                byte[] got = v.get(20, TimeUnit.SECONDS);
                assertThat(Arrays.copyOfRange(got, got.length - body.length, got.length)).isEqualTo(body);
                assertThat(acks).as("window %d: credit returned many times", window).isGreaterThan(20);
            }
        }
    }

    @Test
    void aViewerThatStopsReadingStopsTheClientsCredit() throws Exception {
        try (WsmuxTestClient c = register("cad3"); RawClient v = new RawClient(address, 20_000)) {
            v.socket().setReceiveBufferSize(64 * 1024);
            v.send("GET /cad3/endless HTTP/1.1\r\nHost: h\r\n\r\n");
            int id = c.acceptStream(4 << 20, null);
            c.send(DAT, id, "HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            long credit = 4 << 20;
            long sent = 0;
            byte[] chunk = new byte[64 * 1024];
            long quietSince = System.nanoTime();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            // Send whenever there is credit; stop once no ACK came for 1 s with no credit left.
            while (System.nanoTime() - quietSince < TimeUnit.SECONDS.toNanos(1)) {
                assertThat(System.nanoTime()).as("the client is held back (sent %d)", sent).isLessThan(deadline);
                Frame f = c.next(credit > 0 ? 0 : 100);
                if (f != null) {
                    if (f.type() == ACK && f.id() == id) {
                        credit += f.ackValue();
                        quietSince = System.nanoTime();
                    }
                    continue;
                }
                if (credit > 0) {
                    int n = (int) Math.min(chunk.length, credit);
                    c.send(DAT, id, Arrays.copyOf(chunk, n));
                    credit -= n;
                    sent += n;
                    quietSince = System.nanoTime();
                }
            }
            assertThat(credit).as("out of credit").isZero();
            // What went out is bounded by the socket buffers plus the gateway's window, not the body.
            assertThat(sent).as("bytes the client could send to a viewer that reads nothing").isLessThan(40L << 20);
            InputStream in = v.in();
            byte[] buf = new byte[1 << 16];
            assertThat(in.read(buf)).as("the viewer can still read").isPositive();
        }
    }
}
