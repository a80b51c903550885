package io.isthmus.wstunnel.viewer;

import io.netty.buffer.ByteBuf;

/**
 * Finds where a chunked body ends (RFC 9112 §7.1) in bytes that pass through unchanged: chunk sizes,
 * extensions, data, the last chunk and trailers. It only delimits; it never rewrites.
 */
final class ChunkedBody {

    private enum State { SIZE, EXTENSION, DATA, DATA_END, TRAILER_START, TRAILER_LINE, DONE }

    private State state = State.SIZE;
    private long size;
    private int sizeDigits;
    private long remaining;
    private boolean broken;

    boolean done() {
        return state == State.DONE;
    }

    /** A chunk size that is not hex or too long: the message cannot be delimited. */
    boolean broken() {
        return broken;
    }

    /** Scans {@code buf} from its reader index; returns how many bytes belong to the body (all, until it ends). */
    int scan(ByteBuf buf) {
        int start = buf.readerIndex();
        int end = buf.writerIndex();
        int i = start;
        while (i < end && state != State.DONE && !broken) {
            if (state == State.DATA) {
                int take = (int) Math.min(remaining, end - i);
                i += take;
                remaining -= take;
                if (remaining == 0) {
                    state = State.DATA_END;
                }
                continue;
            }
            byte b = buf.getByte(i++);
            switch (state) {
                case SIZE -> {
                    int digit = Character.digit(b, 16);
                    if (digit >= 0) {
                        if (++sizeDigits > 15) {
                            broken = true;
                        }
                        size = size * 16 + digit;
                    } else if (b == ';' || b == ' ' || b == '\t') {
                        state = State.EXTENSION;
                    } else if (b == '\n') {
                        endOfSizeLine();
                    } else if (b != '\r' || sizeDigits == 0) {
                        broken = b != '\r';
                    }
                }
                case EXTENSION -> {
                    if (b == '\n') {
                        endOfSizeLine();
                    }
                }
                case DATA_END -> {
                    if (b == '\n') {
                        state = State.SIZE;
                        size = 0;
                        sizeDigits = 0;
                    }
                }
                case TRAILER_START -> {
                    if (b == '\n') {
                        state = State.DONE;
                    } else if (b != '\r') {
                        state = State.TRAILER_LINE;
                    }
                }
                case TRAILER_LINE -> {
                    if (b == '\n') {
                        state = State.TRAILER_START;
                    }
                }
                default -> throw new IllegalStateException(state.name());
            }
        }
        return i - start;
    }

    private void endOfSizeLine() {
        if (sizeDigits == 0) {
            broken = true;
        } else if (size == 0) {
            state = State.TRAILER_START;
        } else {
            remaining = size;
            state = State.DATA;
        }
    }
}
