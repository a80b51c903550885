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
    void aTokenHasOneSpellingJunkInTheSignatureIsRefused() throws Exception {
        String good = SignedTokensFuzzTest.sign("{\"alg\":\"HS256\"}\n{\"host\":\"h\",\"port\":22}");
        assertThat(tokens.verify(good).port()).isEqualTo(22);
        int at = good.lastIndexOf('.') + 5;
        for (String junk : new String[] {"\u009f", "!", "=", " ", "%"}) {
            String spelled = good.substring(0, at) + junk + good.substring(at);
            assertThatThrownBy(() -> tokens.verify(spelled)).as(junk).isInstanceOf(SignedTokens.Invalid.class);
        }
    }

    @Test
    void aTokenFileHostWithControlCharactersIsSkipped() {
        assertThat(TokenFile.parse(java.util.List.of("a: [::1]:80", "b: [\u001e]:81", "c: [x y]:82"), "test"))
                .containsOnlyKeys("a");
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
