package io.isthmus.core.frontdoor.fuzz;

import static io.isthmus.core.fuzz.FuzzSupport.hex;
import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.core.frontdoor.HeadLimits;
import io.isthmus.core.frontdoor.RequestHeadParser;
import io.isthmus.core.frontdoor.RequestHeadParser.NeedMore;
import io.isthmus.core.frontdoor.RequestHeadParser.Parsed;
import io.isthmus.core.frontdoor.RequestHeadParser.Rejected;
import io.isthmus.core.fuzz.FuzzSupport.Chunked;
import io.isthmus.core.http.RequestHead;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What must hold for any bytes offered to {@link RequestHeadParser}:
 * <ul>
 *   <li>{@code offer} never throws and returns NeedMore, Parsed or Rejected;</li>
 *   <li>a Parsed head took at most the bytes offered, ends in LF, and has a method, target and version
 *       without CR, LF or space, header names and values without CR, LF or NUL, at most
 *       {@code maxHeaders} fields, and none of the framing RFC 9112 §6 forbids (two Hosts, Content-Length
 *       with Transfer-Encoding, a coding other than chunked);</li>
 *   <li>a Rejected head carries a 400, 431 or 505;</li>
 *   <li>the same bytes in one chunk or in several give the same kind of verdict, and a Parsed one the same
 *       head and length.</li>
 * </ul>
 * Every buffer is released, whatever happens (the leak guard fails the class otherwise).
 */
final class HeadParserProperties {

    private static final Set<HttpResponseStatus> REJECTION_STATUSES = Set.of(HttpResponseStatus.BAD_REQUEST,
            HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED);

    private HeadParserProperties() {
    }

    /** {@link #check} on a fuzzer's raw input; a failure names the input in hex, to replay it. */
    static void checkInput(HeadLimits limits, byte[] data) {
        try {
            check(limits, Chunked.of(data));
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("input " + hex(data) + ": " + e.getMessage(), e);
        }
    }

    static void check(HeadLimits limits, Chunked input) {
        RequestHeadParser.Result whole = offerInOne(limits, input.payload());
        RequestHeadParser.Result chunked = offerInChunks(limits, input);
        assertThat(chunked.getClass()).as("verdict in %d chunks %s vs in one: %s vs %s", input.chunks(),
                java.util.Arrays.toString(input.cuts()), chunked, whole).isEqualTo(whole.getClass());
        if (whole instanceof Parsed p && chunked instanceof Parsed q) {
            assertThat(q.headLength()).as("head length in chunks vs in one").isEqualTo(p.headLength());
            assertThat(describe(q.head())).as("head in chunks vs in one").isEqualTo(describe(p.head()));
        }
    }

    /** Offers everything at once and checks the verdict. */
    static RequestHeadParser.Result offerInOne(HeadLimits limits, byte[] payload) {
        ByteBuf buf = ByteBufAllocator.DEFAULT.directBuffer(Math.max(1, payload.length));
        try {
            buf.writeBytes(payload);
            RequestHeadParser.Result r = new RequestHeadParser(limits).offer(buf);
            checkVerdict(limits, r, buf);
            return r;
        } finally {
            buf.release();
        }
    }

    /** Offers a growing composite buffer after each chunk, as HeadReader does, until a head or a rejection. */
    static RequestHeadParser.Result offerInChunks(HeadLimits limits, Chunked input) {
        RequestHeadParser parser = new RequestHeadParser(limits);
        CompositeByteBuf received = ByteBufAllocator.DEFAULT.compositeBuffer(Integer.MAX_VALUE);
        try {
            RequestHeadParser.Result r = null;
            for (int i = 0; i < input.chunks(); i++) {
                byte[] bytes = input.chunk(i);
                ByteBuf chunk = ByteBufAllocator.DEFAULT.directBuffer(Math.max(1, bytes.length));
                chunk.writeBytes(bytes);
                received.addComponent(true, chunk);
                r = parser.offer(received);
                checkVerdict(limits, r, received);
                if (!(r instanceof NeedMore)) {
                    break;
                }
            }
            return r;
        } finally {
            received.release();
        }
    }

    private static void checkVerdict(HeadLimits limits, RequestHeadParser.Result r, ByteBuf offered) {
        assertThat(r).isNotNull();
        if (r instanceof Parsed p) {
            checkParsed(limits, p, offered);
        } else if (r instanceof Rejected rej) {
            assertThat(rej.rejection()).isNotNull();
            assertThat(REJECTION_STATUSES).contains(rej.rejection().status());
            assertThat(rej.rejection().reason()).isNotBlank();
        } else {
            assertThat(r).isInstanceOf(NeedMore.class);
        }
    }

    private static void checkParsed(HeadLimits limits, Parsed p, ByteBuf offered) {
        assertThat(p.headLength()).as("head length").isPositive().isLessThanOrEqualTo(offered.readableBytes());
        assertThat(offered.getByte(offered.readerIndex() + p.headLength() - 1)).as("last byte of the head")
                .isEqualTo((byte) '\n');
        RequestHead head = p.head();
        for (String part : List.of(head.method(), head.target(), head.version())) {
            assertThat(part).as("request line part").isNotEmpty().doesNotContain("\r", "\n", " ");
        }
        assertThat(head.version()).isIn("HTTP/1.1", "HTTP/1.0");
        assertThat(head.headers().size()).as("header count").isLessThanOrEqualTo(limits.maxHeaders());
        for (Map.Entry<String, String> field : head.headers()) {
            assertThat(field.getKey()).as("header name").isNotEmpty().doesNotContain("\r", "\n", "\0", ":", " ");
            assertThat(field.getValue()).as("header value").doesNotContain("\r", "\n", "\0");
        }
        assertThat(head.headers().getAll("host").size()).as("Host fields").isLessThanOrEqualTo(1);
        List<String> codings = head.headers().getAll("transfer-encoding");
        if (!codings.isEmpty()) {
            assertThat(head.headers().contains("content-length")).as("Content-Length with Transfer-Encoding").isFalse();
            assertThat(codings).hasSize(1);
            assertThat(codings.get(0).strip().toLowerCase(Locale.ROOT)).isEqualTo("chunked");
            assertThat(head.version()).isEqualTo("HTTP/1.1");
        }
        // Plugins hand heads to Netty's codecs: that must work for every head the front door lets through.
        assertThat(head.toNettyRequest().method().name()).isEqualTo(head.method());
        head.path();
        head.query();
    }

    private static String describe(RequestHead head) {
        return head.method() + " " + head.target() + " " + head.version() + " " + head.headers().entries();
    }
}
