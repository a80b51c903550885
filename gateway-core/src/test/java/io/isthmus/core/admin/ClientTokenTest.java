package io.isthmus.core.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** Client tokens name a network, never an address, and cannot be recomputed without the process's key. */
class ClientTokenTest {

    private static String token(ClientToken.Hasher h, String address) throws Exception {
        return h.token(new InetSocketAddress(InetAddress.getByName(address), 1234));
    }

    @Test
    void oneNetworkOneTokenOtherNetworksOthers() throws Exception {
        ClientToken.Hasher h = new ClientToken().hasher();
        assertThat(token(h, "203.0.113.7")).matches("c-[0-9a-f]{8}")
                .isEqualTo(token(h, "203.0.113.250"))
                .isEqualTo(token(h, "::ffff:203.0.113.9"))
                .isNotEqualTo(token(h, "203.0.114.7"));
        assertThat(token(h, "2001:db8:1:aaaa::1")).isEqualTo(token(h, "2001:db8:1:bbbb::2"))
                .isNotEqualTo(token(h, "2001:db8:2::1"));
    }

    @Test
    void theTokenDependsOnAKeyMadeAtStartUp() throws Exception {
        assertThat(token(new ClientToken().hasher(), "198.51.100.1"))
                .isNotEqualTo(token(new ClientToken().hasher(), "198.51.100.1"));
    }

    @Test
    void aSideWithoutAnAddressIsShownAsUnknown() {
        assertThat(new ClientToken().hasher().token(null)).isEqualTo(ClientToken.UNKNOWN);
    }
}
