package io.isthmus.rawsocket.target;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isthmus.core.egress.EgressPolicy;
import io.isthmus.core.egress.TargetAllowList;
import io.isthmus.rawsocket.RawSocketConfig.JwtConfig;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the websockify-side fuzz tests found (docs/FUZZING.md); the inputs are kept as {@code finding-*}. */
class TargetFindingsTest {

    private final SignedTokens tokens = new SignedTokens(new JwtConfig(true, SignedTokensFuzzTest.SECRET, "", Duration.ofSeconds(30)),
            Clock.fixed(Instant.ofEpochSecond(SignedTokensFuzzTest.NOW), ZoneOffset.UTC));

    @Test
    void aPortClaimThatWouldWrapIntoRangeIsRefused() {
        String token = SignedTokensFuzzTest.sign("{\"alg\":\"HS256\"}\n{\"host\":\"192.0.2.10\",\"port\":4294967376}");
        assertThatThrownBy(() -> tokens.verify(token)).isInstanceOf(SignedTokens.Invalid.class);
    }

    @Test
    void aFractionalPortClaimIsRefused() {
        String token = SignedTokensFuzzTest.sign("{\"alg\":\"HS256\"}\n{\"host\":\"192.0.2.10\",\"port\":5901.7}");
        assertThatThrownBy(() -> tokens.verify(token)).isInstanceOf(SignedTokens.Invalid.class);
    }

    @Test
    void wholeNumberAndDigitPortClaimsStillWork() throws Exception {
        assertThat(tokens.verify(SignedTokensFuzzTest.sign("{\"alg\":\"HS256\"}\n{\"host\":\"h\",\"port\":5901}")).port()).isEqualTo(5901);
        assertThat(tokens.verify(SignedTokensFuzzTest.sign("{\"alg\":\"HS256\"}\n{\"host\":\"h\",\"port\":\"5902\"}")).port()).isEqualTo(5902);
    }

    @Test
    void aPathTargetNeedsAHostAndAPortFrom1() {
        TargetChooser chooser = new TargetChooser(false, "", false, true, TargetAllowList.any(), EgressPolicy.defaults(),
                null, null, null);
        for (String path : new String[] {"example.com:0", "[]:80", ":80"}) {
            assertThat(chooser.choose(Map.of(), path)).as(path).isInstanceOfSatisfying(TargetChoice.Refused.class,
                    r -> assertThat(r.reason()).isEqualTo("bad_target"));
        }
        assertThat(chooser.choose(Map.of(), "example.com:22")).isInstanceOf(TargetChoice.Chosen.class);
    }
}
