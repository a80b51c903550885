package io.isthmus.bare;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.isthmus.core.fuzz.FuzzSupport;
import io.isthmus.core.http.RequestHead;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;

/**
 * Split headers both ways: a value (the input, ISO-8859-1, without CR, LF or NUL, as an X-Bare-Headers
 * JSON value would be; the input is repeated to pass the 3072-character part size) through
 * {@link SplitHeaders#split}, as header lines a peer receives (values trimmed of spaces and tabs at both
 * ends, as every HTTP parser and {@code fetch} do), then {@link SplitHeaders#join}.
 *
 * <p>Properties: every part is named {@code x-bare-headers} (one line) or {@code x-bare-headers-N} (N from 0
 * on), starts with {@code ;} and holds at most 3072 characters of the value; joining the trimmed lines gives
 * the value back (for values that do not start or end with whitespace, which no header value can).
 */
class BareSplitHeadersFuzzTest {

    @BeforeAll
    static void setUp() {
        FuzzSupport.beforeFuzzTests();
    }

    @FuzzTest(maxDuration = "60s")
    void roundTrip(byte[] data) {
        if (data.length == 0) {
            return;
        }
        int copies = (data[0] & 0xFF) % 8 + 1;
        String one = new String(data, 1, data.length - 1, StandardCharsets.ISO_8859_1).replaceAll("[\r\n\0]", "");
        // Up to some 12800 characters: a value of one to five parts.
        int reps = Math.max(1, Math.min(copies * 1600 / Math.max(1, one.length()), copies));
        String value = one.repeat(one.length() >= 1600 ? 1 : Math.max(reps, copies * 1600 / Math.max(1, one.length())));
        value = value.replaceAll("^[ \t]+|[ \t]+\\z", "");
        if (value.isEmpty()) {
            return;
        }
        // \z, not $: in a Java pattern $ also matches before a final line terminator, U+0085 among them, and
        // an HTTP peer trims only spaces and tabs at the very end (found by the fuzzer: "  \u0085" lost its blanks).
        List<String[]> lines = SplitHeaders.split(value);
        HttpHeaders headers = new DefaultHttpHeaders(false);
        for (int i = 0; i < lines.size(); i++) {
            String[] line = lines.get(i);
            if (lines.size() == 1) {
                assertThat(line[0]).isEqualTo("x-bare-headers");
            } else {
                assertThat(line[0]).isEqualTo("x-bare-headers-" + i);
                assertThat(line[1]).startsWith(";");
                // A part runs past 3072 characters only when its first 3072 are all blanks.
                assertThat(line[1].length() <= SplitHeaders.PART + 1 || line[1].substring(1, SplitHeaders.PART + 1).isBlank())
                        .as("part %d's length", i).isTrue();
            }
            headers.add(line[0], line[1].replaceAll("^[ \t]+|[ \t]+\\z", ""));
        }
        RequestHead head = new RequestHead("GET", "/v3/", "HTTP/1.1", headers);
        String joined = SplitHeaders.join(head);
        // Compared without printing both (values run to thousands of characters).
        assertThat(joined.equals(value)).as("joined parts of %s (%d vs %d chars)", FuzzSupport.hex(data), joined.length(), value.length()).isTrue();
    }
}
