package io.isthmus.bare;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.isthmus.core.fuzz.FuzzSupport;
import io.isthmus.core.http.RequestHead;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;

/**
 * A Bare HTTP request's X-Bare-* headers (v1, v2 and v3, split {@code X-Bare-Headers-n} parts and the JSON
 * they carry) into {@link BareRequests}. In Bare's own package: the readers are package-private.
 *
 * <p>Input: one byte choosing the version ({@code % 3 + 1}) and, for v1/v2, a WebSocket meta request (bit
 * 2); then the head as {@link FuzzHeads} reads it (first line the target, then {@code name: value} lines).
 *
 * <p>Properties: the only failure is the protocol's own ({@link BareError.Failure}: 400 with code
 * MISSING_BARE_HEADER, INVALID_BARE_HEADER or FORBIDDEN_BARE_HEADER, an id naming the request's header
 * and a message); a request that is read has its version, a target fit for a request line, a port
 * 0-65535, a host, header lines with token names and values that cannot break the head, no framing
 * header and at most one Host.
 */
class BareRequestFuzzTest {

    private static final Set<String> CODES = Set.of("MISSING_BARE_HEADER", "INVALID_BARE_HEADER", "FORBIDDEN_BARE_HEADER");

    @BeforeAll
    static void setUp() {
        FuzzSupport.beforeFuzzTests();
    }

    @FuzzTest(maxDuration = "60s")
    void headers(byte[] data) {
        if (data.length == 0) {
            return;
        }
        int version = (data[0] & 0xFF) % 3 + 1;
        boolean websocket = (data[0] & 0x04) != 0;
        String text = new String(Arrays.copyOfRange(data, 1, data.length), StandardCharsets.ISO_8859_1);
        RequestHead head = FuzzHeads.of("GET", text);
        String input = FuzzSupport.hex(data);
        RemoteRequest remote;
        try {
            remote = switch (version) {
                case 1 -> BareRequests.v1(head, websocket);
                case 2 -> BareRequests.v2(head, websocket);
                default -> BareRequests.v3(head);
            };
        } catch (BareError.Failure f) {
            BareError e = f.error;
            assertThat(e.status()).as("status for %s", input).isEqualTo(400);
            assertThat(CODES).as("code for %s", input).contains(e.code());
            // Printable, possibly empty after the dot: an empty JSON name gives "bare.headers.", as in the reference.
            assertThat(e.id()).as("id for %s", input).matches("(request\\.headers|bare\\.headers)\\.[!-~]*");
            assertThat(e.message()).isNotBlank();
            return;
        }
        assertThat(remote.version()).isEqualTo(version);
        FuzzHeads.assertSendable(remote, input);
        assertThat(remote.passStatus()).isNotNull();
    }
}
