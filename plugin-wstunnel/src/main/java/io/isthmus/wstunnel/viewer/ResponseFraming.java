package io.isthmus.wstunnel.viewer;

import io.netty.buffer.ByteBuf;
import java.util.Locale;

/**
 * Follows one HTTP/1.x response through its bytes to find where it ends, so that the viewer's connection
 * can carry its next request and the stream gets its FIN right after the body (websocktunnel.md §5): the
 * head (status, Content-Length, Transfer-Encoding, Connection), interim 1xx heads, then a body delimited by
 * length, chunks or the end of the stream; none for HEAD, 204 and 304. A {@code 101} to an upgrade request
 * switches to raw bytes both ways. Bytes are never rewritten.
 */
final class ResponseFraming {

    /** Longest response head we follow; beyond it the response cannot be delimited. */
    static final int MAX_HEAD = 64 * 1024;

    enum Result {
        /** More bytes belong to this response. */
        MORE,
        /** The response ended; bytes past {@link #scan}'s count do not belong to it. */
        COMPLETE,
        /** A 101 to an upgrade: from here on bytes flow raw both ways. */
        UPGRADED,
        /** Not an HTTP response (or an undelimitable one). */
        BROKEN
    }

    private enum State { HEAD, LENGTH, CHUNKED, UNTIL_CLOSE, DONE, RAW, BROKEN }

    private final boolean headRequest;
    private final boolean upgradeRequest;
    private State state = State.HEAD;
    private final StringBuilder head = new StringBuilder();
    private int headNewlines;
    private int lineLength;
    private long remaining;
    private ChunkedBody chunked;
    private boolean keepAlive = true;
    private long bytesSeen;
    private int status;

    ResponseFraming(boolean headRequest, boolean upgradeRequest) {
        this.headRequest = headRequest;
        this.upgradeRequest = upgradeRequest;
    }

    /** Whether the connection may carry another request after this response. */
    boolean keepAlive() {
        return keepAlive;
    }

    /** Whether no byte of a response has arrived yet. */
    boolean nothingYet() {
        return bytesSeen == 0;
    }

    /** Whether the body runs until the stream ends (no length, not chunked): the end of input completes it. */
    boolean delimitedByEnd() {
        return state == State.UNTIL_CLOSE;
    }

    int status() {
        return status;
    }

    /** How many bytes of {@code buf} (from its reader index) belong to the response; {@link #result()} says what then. */
    int scan(ByteBuf buf) {
        int start = buf.readerIndex();
        int end = buf.writerIndex();
        int i = start;
        while (i < end) {
            switch (state) {
                case HEAD -> i = scanHead(buf, i, end);
                case LENGTH -> {
                    int take = (int) Math.min(remaining, end - i);
                    i += take;
                    remaining -= take;
                    if (remaining == 0) {
                        state = State.DONE;
                    }
                }
                case CHUNKED -> {
                    ByteBuf view = buf.slice(i, end - i);
                    i += chunked.scan(view);
                    if (chunked.broken()) {
                        state = State.BROKEN;
                    } else if (chunked.done()) {
                        state = State.DONE;
                    }
                }
                case UNTIL_CLOSE, RAW -> i = end;
                default -> {
                    bytesSeen += i - start;
                    return i - start;
                }
            }
            if (state == State.DONE || state == State.BROKEN) {
                break;
            }
        }
        bytesSeen += i - start;
        return i - start;
    }

    Result result() {
        return switch (state) {
            case DONE -> Result.COMPLETE;
            case RAW -> Result.UPGRADED;
            case BROKEN -> Result.BROKEN;
            default -> Result.MORE;
        };
    }

    /** The text from {@code from} to {@code end} without a trailing CR. */
    private static String stripCr(String text, int from, int end) {
        return text.substring(from, end > from && text.charAt(end - 1) == '\r' ? end - 1 : end);
    }

    /** Whether the header name in {@code text[from, colon)} (surrounding blanks ignored) is {@code name}, any case. */
    private static boolean nameIs(String text, int from, int colon, String name) {
        while (from < colon && text.charAt(from) <= ' ') {
            from++;
        }
        while (colon > from && text.charAt(colon - 1) <= ' ') {
            colon--;
        }
        return colon - from == name.length() && text.regionMatches(true, from, name, 0, name.length());
    }

    private int scanHead(ByteBuf buf, int i, int end) {
        while (i < end) {
            byte b = buf.getByte(i++);
            head.append((char) (b & 0xff));
            if (b == '\n') {
                if (lineLength == 0 && headNewlines > 0) {
                    headComplete();
                    return i;
                }
                headNewlines++;
                lineLength = 0;
            } else if (b != '\r') {
                lineLength++;
            }
            if (head.length() > MAX_HEAD || (head.length() == 5 && !"HTTP/".contentEquals(head))) {
                state = State.BROKEN;
                return i;
            }
        }
        return i;
    }

    private void headComplete() {
        String text = head.toString();
        head.setLength(0);
        headNewlines = 0;
        lineLength = 0;
        int eol = text.indexOf('\n');
        String statusLine = stripCr(text, 0, eol);
        if (!statusLine.startsWith("HTTP/1.") || statusLine.length() < 12) {
            state = State.BROKEN;
            return;
        }
        boolean http10 = statusLine.startsWith("HTTP/1.0");
        try {
            status = Integer.parseInt(statusLine, 9, 12, 10);
        } catch (NumberFormatException e) {
            state = State.BROKEN;
            return;
        }
        long length = -1;
        boolean isChunked = false;
        boolean close = false;
        boolean keepAliveToken = false;
        // Header lines one by one, without a regex split (this runs once per viewer request).
        for (int from = eol + 1; from < text.length(); ) {
            int next = text.indexOf('\n', from);
            int lineEnd = next < 0 ? text.length() : next;
            int colon = text.indexOf(':', from);
            if (colon > from && colon < lineEnd) {
                String value = stripCr(text, colon + 1, lineEnd).trim();
                if (nameIs(text, from, colon, "content-length")) {
                    try {
                        length = Long.parseLong(value);
                    } catch (NumberFormatException e) {
                        state = State.BROKEN;
                        return;
                    }
                } else if (nameIs(text, from, colon, "transfer-encoding")) {
                    isChunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                } else if (nameIs(text, from, colon, "connection")) {
                    String v = value.toLowerCase(Locale.ROOT);
                    close |= v.contains("close");
                    keepAliveToken |= v.contains("keep-alive");
                }
            }
            from = lineEnd + 1;
        }
        if (status / 100 == 1) {
            if (status == 101 && upgradeRequest) {
                state = State.RAW;
                keepAlive = false;
            }
            // Other interim answers (100 Continue, 103) are followed by the real head.
            return;
        }
        keepAlive = http10 ? keepAliveToken && !close : !close;
        if (headRequest || status == 204 || status == 304) {
            state = State.DONE;
        } else if (isChunked) {
            chunked = new ChunkedBody();
            state = State.CHUNKED;
        } else if (length >= 0) {
            remaining = length;
            state = length == 0 ? State.DONE : State.LENGTH;
        } else {
            keepAlive = false;
            state = State.UNTIL_CLOSE;
        }
    }
}
