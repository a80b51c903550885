package io.isthmus.core.frontdoor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Regressions for what {@link ProxyProtocolFuzzTest} found, over real sockets. */
class ProxyProtocolFindingsTest {

    /**
     * finding-v2-tlv-overrun: a v2 header whose TLV claims 1028 bytes inside a 19-byte address block made
     * Netty's decoder throw IndexOutOfBoundsException (not its HAProxyProtocolException) and leave the
     * connection open, holding the decoder. It is now a bad header: counted and closed.
     */
    @Test
    void aV2TlvRunningPastTheHeaderIsABadHeader() throws Exception {
        try (Gateway g = TestGateways.start("isthmus.client-address.proxy-protocol-sources = [\"127.0.0.1/32\"]");
             RawClient c = new RawClient(g.address())) {
            ByteArrayOutputStream header = new ByteArrayOutputStream();
            header.writeBytes(new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x21, 0x11, 0x00, 0x13});
            header.writeBytes(new byte[] {(byte) 203, 0, 113, 9, 127, 0, 0, 1, 0x15, (byte) 0xb3, 0x00, 0x50});
            header.writeBytes(new byte[] {0x02, 0x04, 0x04, 'h', 'o', 's', 't'});
            header.writeBytes("GET /info/ HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            c.send(header.toByteArray());
            assertThat(c.readToEof()).isEmpty();
            await().atMost(Duration.ofSeconds(5)).until(() -> {
                var n = g.metrics().registry().find("isthmus.rejections").tag("reason", "proxy_protocol_invalid").counter();
                return n != null && n.count() == 1;
            });
        }
    }
}
