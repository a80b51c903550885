package io.isthmus.core.egress.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.isthmus.core.egress.EgressPolicy;
import io.isthmus.core.egress.EgressRefusal;
import io.isthmus.core.egress.EgressRefusal.Reason;
import io.isthmus.core.egress.EgressRules;
import io.isthmus.core.egress.EgressTarget;
import io.isthmus.core.fuzz.FuzzSupport;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;

/**
 * The egress config parsers ({@code Cidr}, {@code HostPattern}, {@code PortRange}, reached through
 * {@link EgressRules}) and the policy built from what they accept.
 *
 * <p>Input: UTF-8 lines; the first character says where the rest goes: {@code A} allow-cidrs, {@code D}
 * deny-cidrs, {@code a} allow-hosts, {@code d} deny-hosts, {@code p} allow-ports, {@code q} deny-ports,
 * {@code t} a target host to check (port 443). Properties:
 * <ul>
 *   <li>config is accepted or refused with IllegalArgumentException (what stops start-up with the key); nothing else;</li>
 *   <li>a policy built from accepted rules never throws on any target;</li>
 *   <li>a denied block's own address and a denied name are refused (DENIED_ADDRESS / DENIED_NAME, or the
 *       port, which is judged first); an allowed block's own address passes when nothing is denied.</li>
 * </ul>
 */
class EgressRulesFuzzTest {

    private static final int PORT = 443;

    @BeforeAll
    static void setUp() {
        FuzzSupport.beforeFuzzTests();
    }

    @FuzzTest(maxDuration = "60s")
    void rules(byte[] data) {
        List<String> allowCidrs = new ArrayList<>();
        List<String> denyCidrs = new ArrayList<>();
        List<String> allowHosts = new ArrayList<>();
        List<String> denyHosts = new ArrayList<>();
        List<String> allowPorts = new ArrayList<>();
        List<String> denyPorts = new ArrayList<>();
        List<String> targets = new ArrayList<>(List.of("8.8.8.8", "127.0.0.1", "example.com", "::ffff:10.0.0.1"));
        for (String line : new String(data, StandardCharsets.UTF_8).split("\n", -1)) {
            if (line.isEmpty()) {
                continue;
            }
            String value = line.substring(1);
            switch (line.charAt(0)) {
                case 'A' -> allowCidrs.add(value);
                case 'D' -> denyCidrs.add(value);
                case 'a' -> allowHosts.add(value);
                case 'd' -> denyHosts.add(value);
                case 'p' -> allowPorts.add(value);
                case 'q' -> denyPorts.add(value);
                default -> targets.add(value);
            }
        }
        String input = FuzzSupport.hex(data);

        EgressRules rules;
        try {
            rules = new EgressRules(allowCidrs, denyCidrs, allowHosts, denyHosts, allowPorts, denyPorts);
        } catch (IllegalArgumentException refused) {
            assertThat(refused.getMessage()).as("config refusal for %s", input).isNotBlank();
            return;
        }
        EgressPolicy policy = EgressPolicy.of(rules);
        for (String target : targets) {
            assertThatCode(() -> policy.check(new EgressTarget(target, PORT))).as("check %s for %s", target, input)
                    .doesNotThrowAnyException();
        }
        for (String cidr : denyCidrs) {
            String address = cidr.contains("/") ? cidr.substring(0, cidr.indexOf('/')) : cidr;
            assertThat(policy.check(new EgressTarget(address, PORT))).as("denied block %s for %s", cidr, input)
                    .hasValueSatisfying(r -> assertThat(r.reason()).isIn(Reason.DENIED_ADDRESS, Reason.DENIED_PORT));
        }
        for (String pattern : denyHosts) {
            String name = pattern.startsWith("*.") ? "x." + pattern.substring(2) : pattern;
            Optional<EgressRefusal> verdict = policy.check(new EgressTarget(name, PORT));
            assertThat(verdict).as("denied name %s for %s", pattern, input).hasValueSatisfying(r -> assertThat(r.reason())
                    .isIn(Reason.DENIED_NAME, Reason.DENIED_PORT, pattern.startsWith("*.") ? Reason.INVALID_TARGET : Reason.DENIED_NAME));
        }
        if (denyCidrs.isEmpty() && denyHosts.isEmpty() && allowPorts.isEmpty() && denyPorts.isEmpty()) {
            for (String cidr : allowCidrs) {
                String address = cidr.contains("/") ? cidr.substring(0, cidr.indexOf('/')) : cidr;
                assertThat(policy.check(new EgressTarget(address, PORT))).as("allowed block %s for %s", cidr, input).isEmpty();
            }
        }
    }
}
