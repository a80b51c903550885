package io.isthmus.wstunnel;

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
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** viewer-idle-timeout: a keep-alive viewer connection is closed when its next request does not come in time. */
class ViewerIdleTimeoutTest {

    static Gateway gateway;

    @BeforeAll
    static void start() {
        gateway = TestGateways.start("""
                isthmus.plugins.wstunnel {
                  prefix = "/"
                  secrets = ["%s"]
                  viewer-idle-timeout = 700ms
                }
                """.formatted(Jwts.A));
    }

    @AfterAll
    static void stop() {
        gateway.shutdown();
    }

    /** Serves one request on the next stream: ACK, response, and the FIN the server sends after the body. */
    private static void serveOne(WsmuxTestClient c, String body) throws Exception {
        Frame syn;
        do {
            syn = c.next();
            assertThat(syn).as("a SYN").isNotNull();
        } while (syn.type() != SYN);
        c.send(ACK, syn.id(), le(4 << 20));
        c.readUntil(syn.id(), "\r\n\r\n");
        c.sendText(DAT, syn.id(), "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
        assertThat(c.nextOf(FIN, syn.id())).as("FIN after the body").isNotNull();
    }

    private static String response(RawClient v, int bodyLength) throws Exception {
        String head = v.readHead();
        return head + new String(v.readExactly(bodyLength), StandardCharsets.US_ASCII);
    }

    @Test
    void anIdleKeepAliveViewerIsClosedButAnActiveOneIsNot() throws Exception {
        try (WsmuxTestClient c = WsmuxTestClient.register(gateway.address(), "/", "idle1", valid("idle1"));
             RawClient v = new RawClient(gateway.address(), 10_000)) {
            assertThat(c.responseHead).startsWith("HTTP/1.1 101");
            // Requests closer together than the timeout keep the connection: 3 x 400 ms spans more than 700 ms.
            for (int i = 0; i < 3; i++) {
                v.send("GET /idle1/a HTTP/1.1\r\nHost: h\r\n\r\n");
                serveOne(c, "ok" + i);
                assertThat(response(v, 3)).startsWith("HTTP/1.1 200").endsWith("ok" + i);
                if (i < 2) {
                    assertThat(v.staysSilentFor(400)).as("open while requests keep coming").isTrue();
                }
            }
            long idleFrom = System.nanoTime();
            assertThat(v.isClosedByPeer()).as("closed after the idle timeout").isTrue();
            long waitedMillis = (System.nanoTime() - idleFrom) / 1_000_000;
            assertThat(waitedMillis).isBetween(500L, 5_000L);
        }
    }
}
