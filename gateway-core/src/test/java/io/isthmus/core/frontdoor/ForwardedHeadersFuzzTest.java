package io.isthmus.core.frontdoor;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.isthmus.core.fuzz.FuzzSupport;
import io.isthmus.core.http.RequestHead;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;

/**
 * Forwarding header values, as a trusted proxy might pass them on, into {@link ForwardedClient} (with
 * {@link ForwardedHeader}, the RFC 7239 parser). In this package: the parser is package-private.
 *
 * <p>Input: ISO-8859-1 text; its first character picks the header ({@code forwarded}, {@code x-forwarded-for},
 * {@code x-real-ip}), the rest is split at LF into header lines. Properties: nothing throws; the client is
 * the peer itself, or carries port 0 and an address spelled in the headers; it is never a hop from a peer
 * that is not a trusted proxy; {@code forNodes} gives null or a list of at most 65 nodes, and every address
 * {@code nodeAddress} returns is part of its node.
 */
class ForwardedHeadersFuzzTest {

    private static final InetSocketAddress PROXY = new InetSocketAddress("10.1.2.3", 40000);
    private static final InetSocketAddress STRANGER = new InetSocketAddress("198.51.100.7", 40000);
    private static final List<String> HEADERS = List.of("forwarded", "x-forwarded-for", "x-real-ip");

    @BeforeAll
    static void setUp() {
        FuzzSupport.beforeFuzzTests();
    }

    @FuzzTest(maxDuration = "60s")
    void forwardedHeaders(byte[] data) {
        String text = new String(data, StandardCharsets.ISO_8859_1);
        if (text.isEmpty()) {
            return;
        }
        String header = HEADERS.get(text.charAt(0) % HEADERS.size());
        String[] lines = text.substring(1).split("\n", -1);
        DefaultHttpHeaders h = new DefaultHttpHeaders(false);
        for (String line : lines) {
            h.add(header, line);
        }
        RequestHead head = new RequestHead("GET", "/", "HTTP/1.1", h);
        ForwardedClient clients = new ForwardedClient(List.of("10.0.0.0/8", "2001:db8:ff::/48"), List.of(header));
        String what = FuzzSupport.hex(data);

        assertThat(clients.resolve(STRANGER, head)).as("a stranger's headers for %s", what).isSameAs(STRANGER);
        InetSocketAddress client = clients.resolve(PROXY, head);
        if (client != PROXY) {
            assertThat(client.getPort()).as("port for %s", what).isZero();
            InetAddress a = client.getAddress();
            assertThat(a.getAddress().length).isIn(4, 16);
        }
        for (String line : lines) {
            List<String> nodes = ForwardedHeader.forNodes(line);
            if (nodes != null) {
                assertThat(nodes.size()).as("nodes for %s", what).isLessThanOrEqualTo(ForwardedHeader.MAX_ELEMENTS + 1);
                for (String node : nodes) {
                    String address = ForwardedHeader.nodeAddress(node);
                    if (address != null) {
                        assertThat(node).as("node for %s", what).contains(address);
                    }
                }
            }
        }
    }
}
