package io.isthmus.core.frontdoor.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.core.frontdoor.HeadLimits;
import io.isthmus.core.frontdoor.RequestHeadParser;
import io.isthmus.core.fuzz.FuzzSupport.Chunked;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * What the request-head fuzz tests found, as plain regression tests with the production limits. Each case
 * is a head the parser accepts when it arrives in one read, cut where TCP may cut it.
 */
class RequestHeadParserFindingsTest {

    private static final HeadLimits LIMITS = new HeadLimits(8192, 16384, 100);

    /**
     * A request line of exactly max-request-line bytes whose CR ends one read and whose LF starts the next
     * was refused (400 request_line_too_long): the check on an incomplete line counted the CR as part of the
     * line, the check on a complete line does not.
     */
    @Test
    void aRequestLineAtTheLimitMayBeCutBetweenCrAndLf() {
        String requestLine = "GET /" + "a".repeat(8192 - "GET / HTTP/1.1".length()) + " HTTP/1.1";
        assertThat(requestLine).hasSize(LIMITS.maxRequestLine());
        byte[] head = (requestLine + "\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        int afterCr = requestLine.length() + 1;

        assertThat(HeadParserProperties.offerInOne(LIMITS, head)).isInstanceOf(RequestHeadParser.Parsed.class);
        assertThat(HeadParserProperties.offerInChunks(LIMITS, inChunks(head, afterCr)))
                .isInstanceOf(RequestHeadParser.Parsed.class);
    }

    /**
     * A head whose fields take the most the parser accepts in one read (max-head-bytes, plus the CRLF that ends
     * the request line and the empty line) was refused with 431 head_too_large when a read ended just before
     * its last CRLF: the check on an incomplete head allowed max-head-bytes, the check on a complete head
     * four bytes more. Found by reading the check next to the first finding; the fuzzer had not cut there.
     */
    @Test
    void aHeadAtTheFieldLimitMayBeCutBeforeItsLastLineEnds() {
        String requestLine = "GET / HTTP/1.1";
        String fields = "\r\nX: " + "p".repeat(LIMITS.maxHeaderBytes() + 4 - "\r\nX: \r\n\r\n".length()) + "\r\n\r\n";
        assertThat(fields).hasSize(LIMITS.maxHeaderBytes() + 4);
        byte[] head = (requestLine + fields).getBytes(StandardCharsets.US_ASCII);

        assertThat(HeadParserProperties.offerInOne(LIMITS, head)).isInstanceOf(RequestHeadParser.Parsed.class);
        for (int beforeEnd = 1; beforeEnd <= 4; beforeEnd++) {
            assertThat(HeadParserProperties.offerInChunks(LIMITS, inChunks(head, head.length - beforeEnd)))
                    .as("cut %d bytes before the end", beforeEnd).isInstanceOf(RequestHeadParser.Parsed.class);
        }
        byte[] oneMore = (requestLine + fields.replace("X: ", "X: p")).getBytes(StandardCharsets.US_ASCII);
        assertThat(HeadParserProperties.offerInOne(LIMITS, oneMore)).isInstanceOf(RequestHeadParser.Rejected.class);
        assertThat(HeadParserProperties.offerInChunks(LIMITS, inChunks(oneMore, oneMore.length - 2)))
                .isInstanceOf(RequestHeadParser.Rejected.class);
    }

    private static Chunked inChunks(byte[] payload, int... cuts) {
        byte[] prefix = Chunked.prefix(cuts);
        byte[] data = new byte[prefix.length + payload.length];
        System.arraycopy(prefix, 0, data, 0, prefix.length);
        System.arraycopy(payload, 0, data, prefix.length, payload.length);
        Chunked chunked = Chunked.of(data);
        assertThat(chunked.cuts()).startsWith(0).contains(cuts).endsWith(payload.length);
        return chunked;
    }
}
