package io.isthmus.bare;

import io.netty.buffer.ByteBuf;

/**
 * The framing of a client's request body (Content-Length or chunked), undone piece by piece as bytes
 * arrive, so that the body streams to the origin without being collected and the first byte of a
 * pipelined next request is found. The front door's parser has already refused bad framing headers.
 */
abstract class RequestBody {

    /** The next piece of body bytes in {@code in} (a retained slice), or null when {@code in} holds no more. */
    abstract ByteBuf next(ByteBuf in);

    abstract boolean done();

    /** Whether the body goes to the origin chunked (its length is unknown ahead). */
    abstract boolean chunked();

    static RequestBody none() {
        return new Fixed(0);
    }

    /** A body that the client framed as {@code Content-Length: length}. */
    static final class Fixed extends RequestBody {
        private long remaining;

        Fixed(long length) {
            this.remaining = length;
        }

        @Override
        ByteBuf next(ByteBuf in) {
            if (remaining == 0 || !in.isReadable()) {
                return null;
            }
            int n = (int) Math.min(remaining, in.readableBytes());
            remaining -= n;
            return in.readRetainedSlice(n);
        }

        @Override
        boolean done() {
            return remaining == 0;
        }

        @Override
        boolean chunked() {
            return false;
        }
    }

    /** A chunked body: size lines (extensions ignored), data, CRLFs and trailers (dropped). */
    static final class Chunked extends RequestBody {
        private static final int MAX_LINE = 8192;

        private enum State { SIZE, DATA, DATA_END, TRAILER, DONE }

        private State state = State.SIZE;
        private long remaining;
        private final StringBuilder line = new StringBuilder();

        @Override
        ByteBuf next(ByteBuf in) {
            while (in.isReadable()) {
                switch (state) {
                    case SIZE -> {
                        if (readLine(in)) {
                            remaining = size(line);
                            line.setLength(0);
                            state = remaining == 0 ? State.TRAILER : State.DATA;
                        }
                    }
                    case DATA -> {
                        int n = (int) Math.min(remaining, in.readableBytes());
                        remaining -= n;
                        if (remaining == 0) {
                            state = State.DATA_END;
                        }
                        return in.readRetainedSlice(n);
                    }
                    case DATA_END -> {
                        if (readLine(in)) {
                            if (line.length() != 0) {
                                throw new IllegalStateException("chunk data not followed by CRLF");
                            }
                            state = State.SIZE;
                        }
                    }
                    case TRAILER -> {
                        if (readLine(in)) {
                            boolean end = line.length() == 0;
                            line.setLength(0);
                            if (end) {
                                state = State.DONE;
                                return null;
                            }
                        }
                    }
                    case DONE -> {
                        return null;
                    }
                }
            }
            return null;
        }

        /** Reads up to a LF into {@code line} (without CR LF); true when the line is complete. */
        private boolean readLine(ByteBuf in) {
            while (in.isReadable()) {
                char c = (char) (in.readByte() & 0xff);
                if (c == '\n') {
                    int last = line.length() - 1;
                    if (last >= 0 && line.charAt(last) == '\r') {
                        line.setLength(last);
                    }
                    return true;
                }
                if (line.length() >= MAX_LINE) {
                    throw new IllegalStateException("chunk line too long");
                }
                line.append(c);
            }
            return false;
        }

        private static long size(CharSequence line) {
            String s = line.toString();
            int semi = s.indexOf(';');
            String hex = (semi < 0 ? s : s.substring(0, semi)).trim();
            if (hex.isEmpty() || hex.length() > 15) {
                throw new IllegalStateException("bad chunk size");
            }
            return Long.parseLong(hex, 16);
        }

        @Override
        boolean done() {
            return state == State.DONE;
        }

        @Override
        boolean chunked() {
            return true;
        }
    }
}
