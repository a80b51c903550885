package io.isthmus.core.frontdoor;

import io.isthmus.core.http.RequestHead;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads one HTTP/1.x request head, strictly, and nothing past it. Lines may end in CRLF or a bare LF
 * (the WebRoute reference client's peers accept both). Refused, as RFC 9112 asks of a server that does not
 * want to be smuggled through: obsolete line folding, whitespace before a colon, control characters,
 * both Content-Length and Transfer-Encoding, a Transfer-Encoding other than {@code chunked}, one on
 * HTTP/1.0, differing or malformed Content-Lengths, two Host fields, and a body on an Upgrade request.
 *
 * <p>One parser serves one connection and keeps its scan position, so a head trickled in one byte at a
 * time is scanned once, not once per byte.
 */
public final class RequestHeadParser {

    /**
     * Empty lines accepted before the request line (RFC 9112 §2.2 asks to ignore "at least one"; a client
     * that sends more is not an HTTP client, and each one would otherwise cost a buffered line for free).
     */
    static final int MAX_LEADING_EMPTY_LINES = 4;

    private final HeadLimits limits;
    private final List<int[]> lines = new ArrayList<>();
    private int scanned;
    private int lineStart;
    private boolean sawRequestLine;
    private int leadingEmptyLines;
    /** How far the request line in progress is known to start like HTTP (a method token, then a space). */
    private int methodChecked;
    private boolean methodEnded;

    public RequestHeadParser(HeadLimits limits) {
        this.limits = limits;
    }

    /** The outcome of offering bytes: more needed, a head, or a rejection. */
    public sealed interface Result permits NeedMore, Parsed, Rejected {
    }

    public record NeedMore() implements Result {
    }

    /** @param headLength bytes of the buffer (from its reader index) that the head took, final empty line included */
    public record Parsed(RequestHead head, int headLength) implements Result {
    }

    public record Rejected(HeadRejection rejection) implements Result {
    }

    private static final NeedMore NEED_MORE = new NeedMore();

    /** Scans {@code buf} from its reader index (not moving it); call again with the same, grown buffer. */
    public Result offer(ByteBuf buf) {
        int base = buf.readerIndex();
        int end = buf.writerIndex();
        for (int i = nextLineFeed(buf, base + scanned, end); i >= 0; i = nextLineFeed(buf, i + 1, end)) {
            int relEnd = i - base;
            int contentEnd = relEnd > lineStart && buf.getByte(i - 1) == '\r' ? relEnd - 1 : relEnd;
            if (!sawRequestLine && contentEnd == lineStart) {
                // RFC 9112 §2.2: ignore empty lines before the request line, but only a few, and within the
                // request line's own limit.
                if (++leadingEmptyLines > MAX_LEADING_EMPTY_LINES || relEnd + 1 > limits.maxRequestLine()) {
                    return rejected(HeadRejection.badRequest("too_many_empty_lines", "Too many empty lines before the request line"));
                }
                lineStart = relEnd + 1;
                methodChecked = lineStart;
                continue;
            }
            if (contentEnd == lineStart) {
                scanned = relEnd + 1;
                return finish(buf, base, relEnd + 1);
            }
            lines.add(new int[] {lineStart, contentEnd});
            if (!sawRequestLine) {
                sawRequestLine = true;
                // Skipped empty lines count against the request line's limit.
                if (contentEnd > limits.maxRequestLine()) {
                    return rejected(HeadRejection.badRequest("request_line_too_long", "Request line too long"));
                }
                // Judged at once, not after the header section: junk must not hold the connection.
                HeadRejection bad = requestLineRejection(text(buf, base, lines.get(0)).split(" ", -1));
                if (bad != null) {
                    return rejected(bad);
                }
            } else if (lines.size() - 1 > limits.maxHeaders()) {
                return rejected(HeadRejection.tooLarge("too_many_headers", "Too many header fields"));
            }
            lineStart = relEnd + 1;
        }
        scanned = end - base;
        // Limits on an incomplete head, so that a peer cannot make us hold more than we would accept.
        // A CR at the end may begin the line's CRLF, which a complete request line does not count either.
        int pendingLine = scanned - lineStart - (scanned > lineStart && buf.getByte(end - 1) == '\r' ? 1 : 0);
        if (!sawRequestLine && lineStart + pendingLine > limits.maxRequestLine()) {
            return rejected(HeadRejection.badRequest("request_line_too_long", "Request line too long"));
        }
        if (!sawRequestLine && !startsLikeHttp(buf, base, end)) {
            return rejected(HeadRejection.badRequest("not_http", "Not an HTTP request"));
        }
        if (sawRequestLine && scanned - firstHeaderStart() > limits.maxHeaderBytes() + 4) {
            return rejected(HeadRejection.tooLarge("head_too_large", "Request header fields too large"));
        }
        return NEED_MORE;
    }

    /**
     * Whether the request line in progress can still become one: a method token (at least one character)
     * and then a space. Checked on every arrival, so that a TLS ClientHello or random bytes are refused
     * at their first byte instead of holding a connection until the head timeout. Each byte is looked at
     * once. A CR at the very end may begin an empty line's CRLF.
     */
    private boolean startsLikeHttp(ByteBuf buf, int base, int end) {
        for (int i = base + Math.max(methodChecked, lineStart); !methodEnded && i < end; i++) {
            byte b = buf.getByte(i);
            int rel = i - base;
            if (b == ' ') {
                if (rel == lineStart) {
                    return false;
                }
                methodEnded = true;
            } else if (b == '\r' && i == end - 1 && rel == lineStart) {
                return true;
            } else if (!isTokenChar((char) (b & 0xff))) {
                return false;
            }
            methodChecked = rel + 1;
        }
        return true;
    }

    /** The index of the first LF in [from, end), or -1; ByteBuf.indexOf looks at eight bytes at a time. */
    private static int nextLineFeed(ByteBuf buf, int from, int end) {
        return from < end ? buf.indexOf(from, end, (byte) '\n') : -1;
    }

    private int firstHeaderStart() {
        int[] requestLine = lines.get(0);
        return requestLine[1];
    }

    private Result finish(ByteBuf buf, int base, int headLength) {
        if (headLength - firstHeaderStart() > limits.maxHeaderBytes() + 4) {
            return rejected(HeadRejection.tooLarge("head_too_large", "Request header fields too large"));
        }
        int[] rl = lines.get(0);
        String requestLine = text(buf, base, rl);
        String[] parts = requestLine.split(" ", -1);
        HeadRejection bad = requestLineRejection(parts);
        if (bad != null) {
            return rejected(bad);
        }
        String method = parts[0];
        String target = parts[1];
        String version = parts[2];
        HttpHeaders headers = new DefaultHttpHeaders(false);
        for (int n = 1; n < lines.size(); n++) {
            int[] line = lines.get(n);
            byte first = buf.getByte(base + line[0]);
            if (first == ' ' || first == '\t') {
                return rejected(HeadRejection.badRequest("obsolete_line_folding", "Obsolete line folding is not accepted"));
            }
            String field = text(buf, base, line);
            int colon = field.indexOf(':');
            if (colon <= 0 || !isToken(field.substring(0, colon))) {
                return rejected(HeadRejection.badRequest("malformed_header", "Malformed header field"));
            }
            String value = field.substring(colon + 1).strip();
            if (!isFieldValue(value)) {
                return rejected(HeadRejection.badRequest("malformed_header", "Invalid character in a header value"));
            }
            headers.add(field.substring(0, colon), value);
        }
        HeadRejection framing = checkFraming(version, headers);
        if (framing != null) {
            return rejected(framing);
        }
        return new Parsed(new RequestHead(method, target, version, headers), headLength);
    }

    /** What is wrong with a request line split at its spaces, or null. */
    private static HeadRejection requestLineRejection(String[] parts) {
        if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
            return HeadRejection.badRequest("malformed_request_line", "Malformed request line");
        }
        if (!isToken(parts[0])) {
            return HeadRejection.badRequest("malformed_request_line", "Malformed method");
        }
        if (!isVisible(parts[1])) {
            return HeadRejection.badRequest("malformed_request_line", "Malformed request target");
        }
        String version = parts[2];
        if (!version.equals("HTTP/1.1") && !version.equals("HTTP/1.0")) {
            if (version.startsWith("HTTP/") && version.length() == 8) {
                return new HeadRejection(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED,
                        "unsupported_version", "HTTP version not supported");
            }
            return HeadRejection.badRequest("malformed_request_line", "Malformed HTTP version");
        }
        return null;
    }

    /** The request-smuggling rules of RFC 9112 §6. */
    private static HeadRejection checkFraming(String version, HttpHeaders headers) {
        List<String> hosts = headers.getAll("host");
        if (hosts.size() > 1) {
            return HeadRejection.badRequest("duplicate_host", "More than one Host field");
        }
        List<String> lengths = headers.getAll("content-length");
        List<String> codings = headers.getAll("transfer-encoding");
        if (!lengths.isEmpty() && !codings.isEmpty()) {
            return HeadRejection.badRequest("conflicting_framing", "Both Content-Length and Transfer-Encoding");
        }
        long length = -1;
        for (String value : lengths) {
            for (String part : value.split(",", -1)) {
                long n = parseLength(part.strip());
                if (n < 0 || (length >= 0 && n != length)) {
                    return HeadRejection.badRequest("invalid_content_length", "Invalid Content-Length");
                }
                length = n;
            }
        }
        if (!codings.isEmpty()) {
            if (version.equals("HTTP/1.0")) {
                return HeadRejection.badRequest("conflicting_framing", "Transfer-Encoding on HTTP/1.0");
            }
            if (codings.size() != 1 || !codings.get(0).strip().toLowerCase(Locale.ROOT).equals("chunked")) {
                return HeadRejection.badRequest("unsupported_transfer_encoding", "Only Transfer-Encoding: chunked is accepted");
            }
        }
        boolean upgrade = headers.contains("upgrade");
        if (upgrade && (length > 0 || !codings.isEmpty())) {
            return HeadRejection.badRequest("body_on_upgrade", "An Upgrade request cannot carry a body");
        }
        return null;
    }

    private static long parseLength(String s) {
        if (s.isEmpty() || s.length() > 18) {
            return -1;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return -1;
            }
        }
        return Long.parseLong(s);
    }

    private static Result rejected(HeadRejection rejection) {
        return new Rejected(rejection);
    }

    private static String text(ByteBuf buf, int base, int[] line) {
        return buf.toString(base + line[0], line[1] - line[0], StandardCharsets.ISO_8859_1);
    }

    /** RFC 9110 token: visible ASCII except delimiters. */
    private static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (!isTokenChar(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean isTokenChar(char c) {
        return c > ' ' && c < 0x7f && "\"(),/:;<=>?@[\\]{}".indexOf(c) < 0;
    }

    /** RFC 9112 §3.2: a request target is visible ASCII only (non-ASCII must be percent-encoded). */
    private static boolean isVisible(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= ' ' || c >= 0x7f) {
                return false;
            }
        }
        return true;
    }

    /** Field values: visible characters, spaces, tabs and obs-text; never CR, LF, NUL or other controls. */
    private static boolean isFieldValue(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c < ' ' && c != '\t') || c == 0x7f) {
                return false;
            }
        }
        return true;
    }
}
