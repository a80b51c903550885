package io.isthmus.core.egress.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.core.egress.EgressPolicy;
import io.isthmus.core.egress.EgressTarget;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What the egress fuzz test found, kept as a regression test: leading-zero IPv4 spellings that readers
 * disagree on are now refused outright.
 */
class EgressPolicyFindingsTest {

    /**
     * A part with a leading zero is octal to the policy ({@code inet_aton}) and decimal to the JDK's
     * {@code InetAddress.getByName} and Netty's {@code NetUtil} (and so Netty's resolvers, which take such a
     * string for a literal). The default policy lets {@code 0127.0.0.1} through as 87.0.0.1, which the JDK
     * and Netty read as loopback. {@code EgressPolicyFuzzTest} with {@code -Disthmus.fuzz.strictLeadingZeros=true}
     * finds such a spelling within seconds ({@code 0100.64.0}: CGNAT to the JDK, 64.64.0.0 to the policy).
     * The dialer connects to the policy's reading, so the gateway did not reach 127.0.0.1, but anything
     * handing the string itself to the JDK or Netty would have. Such spellings are now refused.
     */
    @ParameterizedTest(name = "{0} is {1} to the JDK and must be refused")
    @CsvSource({"0127.0.0.1, 127.0.0.1", "0127.1, 127.0.0.1", "010.0.0.1, 10.0.0.1", "010.010.010.010, 10.10.10.10",
            "0172.016.0.1, 172.16.0.1", "0224.0.0.1, 224.0.0.1", "0100.64.0, 100.64.0.0"})
    void leadingZeroSpellingsOfNonPublicAddressesAreRefused(String host, String jdkReading) {
        // AddressOracles.jdk calls InetAddress.getByName only where it cannot turn into a DNS query.
        InetAddress jdk = AddressOracles.jdk(host);
        assertThat(jdk).isNotNull();
        assertThat(jdk.getHostAddress()).isEqualTo(jdkReading);
        byte[] netty = NetUtil.createByteArrayFromIpAddressString(host);
        if (netty != null) {
            assertThat(NetUtil.bytesToIpAddress(netty)).isEqualTo(jdkReading);
        }
        assertThat(EgressPolicy.defaults().check(new EgressTarget(host, 443))).as(host).isPresent();
    }
}
