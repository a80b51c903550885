package io.isthmus.core.frontdoor;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** What per-IP limits count (issue #10 point 4): IPv4 as itself, IPv6 by its prefix. */
class ClientPrefixTest {

    @Test
    void ipv6AddressesOfOneSlash64AreOneClient() throws Exception {
        InetAddress a = ClientPrefix.of(InetAddress.getByName("2001:db8:1:2::1"), 64);
        InetAddress b = ClientPrefix.of(InetAddress.getByName("2001:db8:1:2:ffff:ffff:ffff:ffff"), 64);
        assertThat(a).isEqualTo(b).isEqualTo(InetAddress.getByName("2001:db8:1:2::"));
        assertThat(ClientPrefix.of(InetAddress.getByName("2001:db8:1:3::1"), 64)).isNotEqualTo(a);
        assertThat(ClientPrefix.of(InetAddress.getByName("2001:db8:1:2::1"), 56))
                .isEqualTo(InetAddress.getByName("2001:db8:1::"));
        assertThat(ClientPrefix.of(InetAddress.getByName("2001:db8::7"), 128)).isEqualTo(InetAddress.getByName("2001:db8::7"));
    }

    @Test
    void ipv4AndMappedAddressesCountAsThemselves() throws Exception {
        assertThat(ClientPrefix.of(InetAddress.getByName("192.0.2.7"), 64)).isEqualTo(InetAddress.getByName("192.0.2.7"));
        assertThat(ClientPrefix.of(InetAddress.getByName("::ffff:192.0.2.7"), 64)).isEqualTo(InetAddress.getByName("192.0.2.7"));
    }
}
