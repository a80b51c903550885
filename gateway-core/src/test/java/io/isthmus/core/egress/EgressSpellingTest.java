package io.isthmus.core.egress;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.core.egress.EgressRefusal.Reason;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The spellings that got past peers' filters (egress-policy.md §2.2, §2.5): every one must be read as the
 * address or name it really is.
 */
class EgressSpellingTest {

    private static final EgressPolicy DEFAULTS = EgressPolicy.defaults();

    @ParameterizedTest
    @ValueSource(strings = {"::ffff:127.0.0.1", "::ffff:7f00:1", "[::ffff:127.0.0.1]", "::127.0.0.1", "::7f00:1",
            "64:ff9b::7f00:1", "64:ff9b::127.0.0.1", "64:ff9b:1::7f00:1", "64:ff9b:1:7f00:1::", "2002:7f00:1::",
            "2002:0a00:0001::", "2002:a9fe:a9fe::1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "fd00:ec2::254",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2", "127.1", "127.0.1", "2130706433", "0x7f000001", "0X7F000001",
            "0x7f.1", "0x7f.0.0.1", "127.0.0.1.", "[::1]", "::1",
            "0:0:0:0:0:0:0:1", "[0000:0000:0000:0000:0000:0000:0000:0001]", "0.0.0.0", "0", "0x0",
            "::", "[::]", "10.1", "167772161", "0xa9fea9fe", "169.254.43518", "100.64.1", "0xE0000001",
            "4294967295", "１２７。０。０。１"})
    void refusesEveryIpv4AndIpv6SpellingOfNonPublicAddresses(String host) {
        assertThat(DEFAULTS.check(new EgressTarget(host, 80))).as(host)
                .hasValueSatisfying(r -> assertThat(r.reason()).isEqualTo(Reason.NON_PUBLIC_ADDRESS));
    }

    /**
     * A part with a leading zero is octal to inet_aton but decimal to the JDK and Netty ("0127.0.0.1" is
     * 87.0.0.1 to one and 127.0.0.1 to the other), so such spellings are refused outright (found by fuzzing).
     */
    @ParameterizedTest
    @ValueSource(strings = {"0177.0.0.1", "0177.1", "017700000001", "00", "0127.0.0.1", "010.0.0.1", "01.2.3.4", "1.2.3.04"})
    void refusesAmbiguousLeadingZeroSpellings(String host) {
        assertThat(DEFAULTS.check(new EgressTarget(host, 80))).as(host)
                .hasValueSatisfying(r -> assertThat(r.reason()).isEqualTo(Reason.INVALID_TARGET));
    }

    @ParameterizedTest
    @ValueSource(strings = {"localhost", "LOCALHOST", "LOCALHOST.", "localhost.", "LocalHost", "foo.localhost",
            "a.b.LOCALHOST.", "printer.local", "PRINTER.LOCAL.", "localhost.localdomain", "metadata.google.internal",
            "METADATA.GOOGLE.INTERNAL.", "ｌｏｃａｌｈｏｓｔ"})
    void refusesLocalAndMetadataNamesBeforeResolution(String host) {
        assertThat(DEFAULTS.check(new EgressTarget(host, 80))).as(host)
                .hasValueSatisfying(r -> assertThat(r.reason()).isEqualTo(Reason.DENIED_NAME));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1.2.3.4.5", "256.1.1.1", "1.2.3.256", "1.16777216", "4294967296", "0x100000000",
            "08", "0179.0.0.1", "127.0.0.08", "0x", "1.0x", "127.0.0.1..", ".", "..", "[::1", "::1]", "[127.0.0.1]",
            "fe80::1%eth0", "[fe80::1%25eth0]", ":::", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", "::ffff:127.1",
            "g::1", "a b", "a\r\nb", "exa_mple..com", "-", "a/b", "user@host", "host:80"})
    void refusesMalformedHosts(String host) {
        assertThat(DEFAULTS.check(new EgressTarget(host, 80))).as(host)
                .hasValueSatisfying(r -> assertThat(r.reason()).isEqualTo(Reason.INVALID_TARGET));
    }

    @ParameterizedTest
    @CsvSource({"127.1, 127.0.0.1", "2130706433, 127.0.0.1", "0x7f000001, 127.0.0.1", "0x7f.1, 127.0.0.1",
            "0177.0.0.1, 127.0.0.1", "017700000001, 127.0.0.1", "1.2.3, 1.2.0.3", "1.2.772, 1.2.3.4",
            "1.0x20304, 1.2.3.4", "010.010.010.010, 8.8.8.8", "0xff.0xff.0xff.0xff, 255.255.255.255",
            "4294967295, 255.255.255.255", "0, 0.0.0.0", "1.2.3.4, 1.2.3.4"})
    void readsNumericIpv4AsInetAtonDoes(String spelled, String dotted) throws Exception {
        assertThat(Ipv4Literal.parseNumeric(spelled)).isEqualTo(InetAddress.getByName(dotted).getAddress());
    }

    @Test
    void keepsIpv4CompatibleAddressesAsWritten() {
        // Netty's NetUtil turns ::127.0.0.1 into ::ffff:127.0.0.1; the dialer must connect to what was named.
        assertThat(Ipv6Literal.parse("::127.0.0.1"))
                .containsExactly(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 127, 0, 0, 1);
        assertThat(Ipv6Literal.parse("1:2:3:4:5:6:7::"))
                .containsExactly(0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 0);
        assertThat(Ipv6Literal.parse("1:2:3:4:5:6:1.2.3.4"))
                .containsExactly(0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 1, 2, 3, 4);
    }

    @Test
    void connectsToTheAddressTheSpellingMeansWhenAllowed() {
        EgressPolicy loopbackAllowed = EgressPolicy.of(rules(List.of("127.0.0.0/8"), List.of()));
        for (String host : List.of("127.1", "2130706433", "0x7f.1", "0x7f000001", "::ffff:127.0.0.1")) {
            EgressPolicy.Screening s = loopbackAllowed.screen(new EgressTarget(host, 80));
            assertThat(s).as(host).isInstanceOfSatisfying(EgressPolicy.Screening.Literal.class,
                    l -> assertThat(l.address().getHostAddress()).isEqualTo("127.0.0.1"));
        }
    }

    @Test
    void judgesEveryNat64PlacementOfTheLocalUsePrefix() {
        // 64:ff9b:1::/48 with a /48 translator prefix puts the IPv4 in bytes 6, 7, 9 and 10.
        assertThat(DEFAULTS.check(new EgressTarget("64:ff9b:1:7f00:1::", 80))).isPresent();
        // A public IPv4 in every placement is allowed.
        assertThat(DEFAULTS.check(new EgressTarget("64:ff9b:1:808:8:808:808:808", 80))).isEmpty();
    }

    @Test
    void refusalMessagesSayWhatTheAddressIs() {
        assertThat(DEFAULTS.check(new EgressTarget("0x7f.1", 80))).get().extracting(EgressRefusal::message)
                .asString().contains("127.0.0.1", "127.0.0.0/8", "loopback");
        assertThat(DEFAULTS.check(new EgressTarget("64:ff9b::a9fe:a9fe", 80))).get().extracting(EgressRefusal::message)
                .asString().contains("NAT64", "169.254.169.254", "link-local");
    }

    @Test
    void echoesOnlyPrintableClientInput() {
        assertThat(DEFAULTS.check(new EgressTarget("a\r\nSet-Cookie: x", 80))).get()
                .extracting(EgressRefusal::message).asString().doesNotContain("\r", "\n");
    }

    static EgressRules rules(List<String> allowCidrs, List<String> denyCidrs) {
        return new EgressRules(allowCidrs, denyCidrs, List.of(), List.of(), List.of(), List.of());
    }
}
