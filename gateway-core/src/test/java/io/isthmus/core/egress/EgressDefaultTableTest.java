package io.isthmus.core.egress;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.core.egress.EgressRefusal.Reason;
import java.math.BigInteger;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every range of egress-policy.md §2.6, written out here independently of the production table: its
 * first, middle and last address must be refused by the default policy, and public addresses next to
 * them must not.
 */
class EgressDefaultTableTest {

    /** §2.6 IPv4, verbatim. */
    private static final List<String> IPV4 = List.of("0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8",
            "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
            "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4");

    /** §2.6 IPv6 that are refused for what they are. */
    private static final List<String> IPV6 = List.of("::/128", "::1/128", "100::/64", "2001::/23", "2001::/32",
            "2001:db8::/32", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8", "3fff::/20", "5f00::/16");

    /**
     * §2.6 IPv6 forms that carry an IPv4: their middle address may carry a public IPv4, so the third probe
     * is the form carrying 10.1.2.3 instead (first and last carry 0.0.0.0 and 255.255.255.255).
     */
    private static final List<String> IPV4_CARRYING = List.of("::ffff:0:0/96", "::/96", "64:ff9b::/96",
            "64:ff9b:1::/48", "2002::/16");

    static Stream<Arguments> refusedRanges() {
        Stream<String> plain = Stream.concat(IPV4.stream(), IPV6.stream());
        return plain.flatMap(cidr -> probes(cidr).stream().map(a -> Arguments.of(cidr, a)));
    }

    static Stream<Arguments> ipv4CarryingRanges() {
        return Stream.of(
                Arguments.of("::ffff:0:0/96", List.of("::ffff:0.0.0.0", "::ffff:10.1.2.3", "::ffff:255.255.255.255")),
                Arguments.of("::/96", List.of("::", "::10.1.2.3", "::255.255.255.255")),
                Arguments.of("64:ff9b::/96", List.of("64:ff9b::", "64:ff9b::a01:203", "64:ff9b::ffff:ffff")),
                Arguments.of("64:ff9b:1::/48", List.of("64:ff9b:1::", "64:ff9b:1::a01:203",
                        "64:ff9b:1:ffff:ffff:ffff:ffff:ffff")),
                Arguments.of("2002::/16", List.of("2002::", "2002:a01:203::", "2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("refusedRanges")
    void refusesFirstMiddleAndLastOfEveryRange(String cidr, String address) {
        assertRefused(address);
        if (address.contains(":")) {
            assertRefused("[" + address + "]");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ipv4CarryingRanges")
    void refusesIpv4CarryingFormsOfNonPublicAddresses(String cidr, List<String> addresses) {
        assertThat(IPV4_CARRYING).contains(cidr);
        addresses.forEach(EgressDefaultTableTest::assertRefused);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1.1.1.1", "8.8.8.8", "9.9.9.9", "2606:4700:4700::1111", "[2606:4700:4700::1111]",
            "2001:4860:4860::8888", "2001:200::1",
            // Just outside the neighbouring ranges.
            "1.0.0.0", "9.255.255.255", "11.0.0.0", "100.63.255.255", "100.128.0.0", "126.255.255.255",
            "128.0.0.0", "169.253.255.255", "169.255.0.0", "172.15.255.255", "172.32.0.0", "192.0.1.0",
            "192.0.3.0", "192.88.98.255", "192.88.100.0", "192.167.255.255", "192.169.0.0", "198.17.255.255",
            "198.20.0.0", "198.51.99.255", "198.51.101.0", "203.0.112.255", "203.0.114.0", "223.255.255.255",
            "2000::1", "2001:200::", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db9::", "3ffe:ffff::1",
            "3fff:1000::", "2003::1",
            // IPv4-carrying forms of a public IPv4 are that IPv4.
            "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::", "2002:0808:0808:1::1"})
    void allowsPublicUnicast(String address) {
        assertThat(EgressPolicy.defaults().check(new EgressTarget(address, 443))).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"4000::1", "8000::1", "e000::1", "1fff:ffff::1", "::2:0:0:1"})
    void refusesIpv6OutsideGlobalUnicast(String address) {
        assertRefused(address);
    }

    private static void assertRefused(String host) {
        assertThat(EgressPolicy.defaults().check(new EgressTarget(host, 443)))
                .as(host)
                .hasValueSatisfying(r -> assertThat(r.reason()).isEqualTo(Reason.NON_PUBLIC_ADDRESS));
    }

    /** First, middle and last address of a CIDR, written out in full (no "::" compression, no IPv4 shortcut). */
    private static List<String> probes(String cidr) {
        String[] parts = cidr.split("/");
        boolean v6 = parts[0].contains(":");
        int bits = v6 ? 128 : 32;
        int prefix = Integer.parseInt(parts[1]);
        BigInteger first = new BigInteger(1, bytesOf(parts[0]));
        BigInteger size = BigInteger.ONE.shiftLeft(bits - prefix);
        BigInteger last = first.add(size).subtract(BigInteger.ONE);
        BigInteger middle = first.add(size.shiftRight(1));
        return Stream.of(first, middle, last).distinct().map(n -> format(n, v6)).toList();
    }

    private static byte[] bytesOf(String address) {
        try {
            return java.net.InetAddress.getByName(address).getAddress();
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static String format(BigInteger n, boolean v6) {
        if (!v6) {
            long v = n.longValue();
            return (v >>> 24 & 0xFF) + "." + (v >>> 16 & 0xFF) + "." + (v >>> 8 & 0xFF) + "." + (v & 0xFF);
        }
        List<String> groups = new java.util.ArrayList<>();
        for (int i = 7; i >= 0; i--) {
            groups.add(Integer.toHexString(n.shiftRight(16 * i).intValue() & 0xFFFF));
        }
        return String.join(":", groups);
    }
}
