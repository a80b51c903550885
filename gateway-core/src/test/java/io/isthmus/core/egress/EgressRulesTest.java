package io.isthmus.core.egress;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.core.egress.EgressRefusal.Reason;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Operator widening and narrowing, and which rule wins when they disagree. */
class EgressRulesTest {

    @Test
    void allowCidrLetsARefusedRangeThroughInEverySpelling() {
        EgressPolicy policy = policy(List.of("127.0.0.0/8"), List.of(), List.of(), List.of(), List.of(), List.of());
        for (String host : List.of("127.0.0.1", "127.1", "0x7f.1", "::ffff:127.0.0.1", "64:ff9b::7f00:1")) {
            assertThat(policy.check(new EgressTarget(host, 80))).as(host).isEmpty();
        }
        assertThat(reason(policy, "10.0.0.1", 80)).contains(Reason.NON_PUBLIC_ADDRESS);
        assertThat(reason(policy, "::1", 80)).contains(Reason.NON_PUBLIC_ADDRESS);
    }

    @Test
    void allowCidrForIpv6() {
        EgressPolicy policy = policy(List.of("fd00::/8"), List.of(), List.of(), List.of(), List.of(), List.of());
        assertThat(policy.check(new EgressTarget("fd00:ec2::254", 80))).isEmpty();
        assertThat(reason(policy, "fc00::1", 80)).contains(Reason.NON_PUBLIC_ADDRESS);
    }

    @Test
    void denyCidrBeatsAllowCidr() {
        EgressPolicy policy = policy(List.of("127.0.0.0/8"), List.of("127.0.0.0/8"), List.of(), List.of(), List.of(), List.of());
        assertThat(reason(policy, "127.0.0.1", 80)).contains(Reason.DENIED_ADDRESS);
    }

    @Test
    void denyCidrRefusesPublicRangesAndSeesThroughIpv4CarryingForms() {
        EgressPolicy policy = policy(List.of(), List.of("8.8.8.0/24", "2606:4700::/32"), List.of(), List.of(), List.of(), List.of());
        for (String host : List.of("8.8.8.8", "134744072", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::",
                "2606:4700:4700::1111")) {
            assertThat(reason(policy, host, 443)).as(host).contains(Reason.DENIED_ADDRESS);
        }
        assertThat(policy.check(new EgressTarget("8.8.4.4", 443))).isEmpty();
    }

    @Test
    void allowPortsLimitsDialsToThosePorts() {
        EgressPolicy policy = policy(List.of(), List.of(), List.of(), List.of(), List.of("443", "8000-8099"), List.of());
        assertThat(policy.check(new EgressTarget("1.1.1.1", 443))).isEmpty();
        assertThat(policy.check(new EgressTarget("1.1.1.1", 8000))).isEmpty();
        assertThat(policy.check(new EgressTarget("1.1.1.1", 8099))).isEmpty();
        assertThat(reason(policy, "1.1.1.1", 80)).contains(Reason.DENIED_PORT);
        assertThat(reason(policy, "1.1.1.1", 8100)).contains(Reason.DENIED_PORT);
    }

    @Test
    void denyPortsBeatAllowPorts() {
        EgressPolicy policy = policy(List.of(), List.of(), List.of(), List.of(), List.of("8000-8099"), List.of("8080", "25"));
        assertThat(reason(policy, "1.1.1.1", 8080)).contains(Reason.DENIED_PORT);
        assertThat(policy.check(new EgressTarget("1.1.1.1", 8081))).isEmpty();
        assertThat(reason(EgressPolicy.of(rulesWithDenyPorts(List.of("25", "465", "587"))), "1.1.1.1", 25))
                .contains(Reason.DENIED_PORT);
    }

    @Test
    void portZeroIsAlwaysRefusedAndOutOfRangePortsAreInvalid() {
        EgressPolicy policy = policy(List.of("0.0.0.0/0"), List.of(), List.of(), List.of(), List.of("0-100"), List.of());
        assertThat(reason(policy, "1.1.1.1", 0)).contains(Reason.DENIED_PORT);
        assertThat(reason(policy, "1.1.1.1", 70000)).contains(Reason.INVALID_TARGET);
        assertThat(reason(policy, "1.1.1.1", -1)).contains(Reason.INVALID_TARGET);
    }

    @Test
    void portIsCheckedBeforeTheHost() {
        assertThat(reason(EgressPolicy.defaults(), "localhost", 0)).contains(Reason.DENIED_PORT);
    }

    @Test
    void denyHostsRefuseNamesAndSubdomains() {
        EgressPolicy policy = policy(List.of(), List.of(), List.of(), List.of("*.example.com", "evil.test"), List.of(), List.of());
        assertThat(reason(policy, "api.example.com", 443)).contains(Reason.DENIED_NAME);
        assertThat(reason(policy, "A.B.EXAMPLE.COM.", 443)).contains(Reason.DENIED_NAME);
        assertThat(reason(policy, "evil.test", 443)).contains(Reason.DENIED_NAME);
        assertThat(policy.check(new EgressTarget("example.com", 443))).isEmpty();
        assertThat(policy.check(new EgressTarget("notexample.com", 443))).isEmpty();
        assertThat(policy.check(new EgressTarget("sub.evil.test", 443))).isEmpty();
    }

    @Test
    void allowHostsLetANamedHostThroughTheDefaultsButNotPastDenyCidrs() throws Exception {
        EgressPolicy policy = policy(List.of(), List.of(), List.of("localhost", "*.corp.example"), List.of(), List.of(), List.of());
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        assertThat(policy.check(new EgressTarget("localhost", 80))).isEmpty();
        assertThat(policy.check(new EgressTarget("LOCALHOST.", 80), loopback)).isEmpty();
        assertThat(policy.check(new EgressTarget("git.corp.example", 80), InetAddress.getByName("10.1.2.3"))).isEmpty();
        // Only the names listed: another local name and the address itself stay refused.
        assertThat(reason(policy, "foo.localhost", 80)).contains(Reason.DENIED_NAME);
        assertThat(reason(policy, "127.0.0.1", 80)).contains(Reason.NON_PUBLIC_ADDRESS);
        assertThat(policy.check(new EgressTarget("other.example", 80), loopback)).get()
                .extracting(EgressRefusal::reason).isEqualTo(Reason.NON_PUBLIC_ADDRESS);

        EgressPolicy narrowed = policy(List.of(), List.of("127.0.0.0/8"), List.of("localhost"), List.of(), List.of(), List.of());
        assertThat(narrowed.check(new EgressTarget("localhost", 80), loopback)).get()
                .extracting(EgressRefusal::reason).isEqualTo(Reason.DENIED_ADDRESS);
    }

    @Test
    void denyHostsBeatAllowHosts() {
        EgressPolicy policy = policy(List.of(), List.of(), List.of("*.example.com"), List.of("secret.example.com"), List.of(), List.of());
        assertThat(reason(policy, "secret.example.com", 443)).contains(Reason.DENIED_NAME);
        assertThat(policy.check(new EgressTarget("www.example.com", 443))).isEmpty();
    }

    @Test
    void resolvedAddressRefusalsNameTheHostNotTheAddress() throws Exception {
        Optional<EgressRefusal> refusal = EgressPolicy.defaults()
                .check(new EgressTarget("intranet.example", 443), InetAddress.getByName("10.20.30.40"));
        assertThat(refusal).get().satisfies(r -> {
            assertThat(r.reason()).isEqualTo(Reason.NON_PUBLIC_ADDRESS);
            assertThat(r.message()).contains("intranet.example").doesNotContain("10.20.30.40").doesNotContain("10.0.0.0");
        });
    }

    @Test
    void pluginRulesAddToTheOperatorsRules() {
        EgressConfig global = new EgressConfig(List.of(), List.of("10.9.0.0/16"), List.of(), List.of(), List.of(),
                List.of("25"), Duration.ofSeconds(5));
        EgressRules plugin = new EgressRules(List.of("10.0.0.0/8"), List.of(), List.of(), List.of(), List.of(), List.of());
        EgressPolicy policy = EgressPolicy.of(global, plugin);
        assertThat(policy.check(new EgressTarget("10.1.0.1", 80))).isEmpty();
        assertThat(reason(policy, "10.9.0.1", 80)).contains(Reason.DENIED_ADDRESS);
        assertThat(reason(policy, "10.1.0.1", 25)).contains(Reason.DENIED_PORT);
        assertThat(global.rules().and(plugin).allowCidrs()).containsExactly("10.0.0.0/8");
        assertThat(global.rules().and(plugin).denyCidrs()).containsExactly("10.9.0.0/16");
    }

    @Test
    void reasonLabelsAreLowerCaseEnumNames() {
        assertThat(Reason.NON_PUBLIC_ADDRESS.label()).isEqualTo("non_public_address");
        assertThat(Reason.DENIED_NAME.label()).isEqualTo("denied_name");
    }

    private static Optional<Reason> reason(EgressPolicy policy, String host, int port) {
        return policy.check(new EgressTarget(host, port)).map(EgressRefusal::reason);
    }

    private static EgressRules rulesWithDenyPorts(List<String> ports) {
        return new EgressRules(List.of(), List.of(), List.of(), List.of(), List.of(), ports);
    }

    private static EgressPolicy policy(List<String> allowCidrs, List<String> denyCidrs, List<String> allowHosts,
                                       List<String> denyHosts, List<String> allowPorts, List<String> denyPorts) {
        return EgressPolicy.of(new EgressRules(allowCidrs, denyCidrs, allowHosts, denyHosts, allowPorts, denyPorts));
    }
}
