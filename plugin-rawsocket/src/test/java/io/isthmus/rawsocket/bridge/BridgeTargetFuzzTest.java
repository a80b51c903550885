package io.isthmus.rawsocket.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.isthmus.core.config.ByteSize;
import io.isthmus.core.egress.DialOptions;
import io.isthmus.core.egress.EgressPolicy;
import io.isthmus.core.egress.TargetAllowList;
import io.isthmus.core.fuzz.FuzzSupport;
import io.isthmus.rawsocket.RawSocketConfig.JwtConfig;
import io.isthmus.rawsocket.RawSocketConfig.OptionsConfig;
import io.isthmus.rawsocket.target.SignedTokens;
import io.isthmus.rawsocket.target.Target;
import io.isthmus.rawsocket.target.TargetChoice;
import io.isthmus.rawsocket.target.TargetChooser;
import io.isthmus.rawsocket.target.TokenFile;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;

/**
 * A bridge upgrade's target and options, as {@link SocketBridge} reads them: the path's {@code HOST:PORT}
 * (percent-decoded as {@link BridgeEndpoint} does), the query ({@link SocketBridge#query}), then
 * {@link TargetChooser#choose} (token file, signed tokens, fixed target, client targets) and
 * {@link SocketOptions#parse}. In the bridge package: {@code query} is package-private.
 *
 * <p>Input: one byte of switches (bit 0 tokens, bit 1 client targets, bit 2 a fixed target, bit 3 a path
 * target), then the path target and the query, separated by the first line feed (ISO-8859-1).
 *
 * <p>Properties: nothing throws; a refusal carries one of the documented reasons and a message; a chosen
 * target has a host and a port 1-65535, comes from a source the switches allow, and is client-chosen only
 * when client targets are on; options fail only as {@link SocketOptions.Invalid} naming one of the options
 * (its message starts {@code Invalid option <name>}), and parsed options stay inside the configured limits
 * and turn into dial options.
 */
class BridgeTargetFuzzTest {

    private static final Set<String> REASONS = Set.of("client_target_not_allowed", "bad_target", "tokens_off", "no_target",
            "unknown_token", "bad_token", "expired_token", "target_not_allowed");
    private static final OptionsConfig LIMITS = new OptionsConfig(new ByteSize(1 << 20), Duration.ofSeconds(30),
            Duration.ofHours(1), Duration.ofHours(2));
    private static TokenFile tokenFile;
    private static SignedTokens signedTokens;

    @BeforeAll
    static void setUp() throws IOException {
        FuzzSupport.beforeFuzzTests();
        Path file = Files.createTempFile("tokens", ".cfg");
        file.toFile().deleteOnExit();
        Files.writeString(file, "# websockify token file\nvnc1: 192.0.2.10:5901\nvnc2: [2001:db8::1]:5902\nbad: nohost\n");
        tokenFile = new TokenFile(file);
        signedTokens = new SignedTokens(new JwtConfig(true, "websockify-secret-0123456789-0123456789", "", Duration.ofSeconds(30)));
    }

    @FuzzTest(maxDuration = "60s")
    void choose(byte[] data) throws Exception {
        if (data.length == 0) {
            return;
        }
        int switches = data[0] & 0xFF;
        boolean tokens = (switches & 1) != 0;
        boolean clientTargets = (switches & 2) != 0;
        String fixed = (switches & 4) != 0 ? "fixed.example:5900" : "";
        String text = new String(Arrays.copyOfRange(data, 1, data.length), StandardCharsets.ISO_8859_1);
        int nl = text.indexOf('\n');
        String rawPath = nl < 0 ? "" : text.substring(0, nl);
        String rawQuery = nl < 0 ? text : text.substring(nl + 1);
        String pathTarget = null;
        if ((switches & 8) != 0 && !rawPath.isEmpty() && rawPath.indexOf('/') < 0) {
            try {
                pathTarget = QueryStringDecoder.decodeComponent(rawPath);
            } catch (IllegalArgumentException e) {
                pathTarget = null;
            }
        }
        Map<String, String> query = SocketBridge.query(rawQuery);
        TargetChooser chooser = new TargetChooser(false, fixed, tokens, clientTargets, TargetAllowList.any(),
                EgressPolicy.defaults(), tokenFile, signedTokens, null);
        TargetChoice choice = chooser.choose(query, pathTarget);
        String input = FuzzSupport.hex(data);
        if (choice instanceof TargetChoice.Refused r) {
            assertThat(REASONS).as("reason for %s", input).contains(r.reason());
            assertThat(r.message()).isNotBlank();
            return;
        }
        Target t = ((TargetChoice.Chosen) choice).target();
        assertThat(t.address().host()).as("host for %s", input).isNotEmpty();
        assertThat(t.address().port()).as("port for %s", input).isBetween(1, 65535);
        assertThat(t.source()).isIn("token", "jwt", "fixed", "client");
        if (t.clientChosen()) {
            assertThat(clientTargets).as("client target with client targets off: %s", input).isTrue();
        }
        if (t.source().equals("token") || t.source().equals("jwt")) {
            assertThat(tokens).isTrue();
        }
        if (SocketOptions.firstPresent(query) == null) {
            return;
        }
        SocketOptions options;
        try {
            options = SocketOptions.parse(query, LIMITS);
        } catch (SocketOptions.Invalid e) {
            assertThat(SocketOptions.NAMES).as("option of %s", input).contains(e.option());
            assertThat(e.getMessage()).startsWith("Invalid option " + e.option() + ":");
            return;
        }
        assertThat(options.sendBufferSize()).isBetween(0, (int) LIMITS.maxBufferSize().bytes());
        assertThat(options.receiveBufferSize()).isBetween(0, (int) LIMITS.maxBufferSize().bytes());
        assertThat(options.keepAliveDelayMs() == 0 || options.keepAliveDelayMs() >= 1000
                && options.keepAliveDelayMs() <= LIMITS.maxKeepAliveDelay().toMillis()).as("keep-alive of %s", input).isTrue();
        for (Duration d : new Duration[] {options.connectTimeout(), options.idleTimeout()}) {
            assertThat(d == null || !d.isNegative() && !d.isZero()).isTrue();
        }
        if (options.connectTimeout() != null) {
            assertThat(options.connectTimeout()).isLessThanOrEqualTo(LIMITS.maxConnectTimeout());
        }
        if (options.idleTimeout() != null) {
            assertThat(options.idleTimeout()).isLessThanOrEqualTo(LIMITS.maxIdleTimeout());
        }
        DialOptions dial = options.dialOptions(false, Duration.ofSeconds(10), false);
        assertThat(dial).isNotNull();
        List.of(dial).forEach(d -> assertThat(d.connectTimeout()).isPositive());
    }
}
