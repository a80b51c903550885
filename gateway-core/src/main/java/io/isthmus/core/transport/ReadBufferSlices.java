package io.isthmus.core.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;

/**
 * Bytes that are about to wait, detached from the read buffer they are a slice of. The WebSocket decoder
 * hands payloads on as slices of the buffers they were read into (unmasked in place, no copy), and a slice
 * keeps its whole read buffer (up to {@code max-read-size}, or the reads a composite joins) alive. That costs
 * nothing while bytes pass straight through; but bytes that wait (behind a target that does not keep up,
 * for credit, before a stream opens) could each pin a whole read buffer for a few bytes of their own, so
 * whoever holds bytes passes them through {@link #detach} first: memory held stays within twice the bytes
 * held, whatever a client interleaves. Queues whose slices often come from one read judge them together
 * instead ({@link WaitingSlices}).
 */
public final class ReadBufferSlices {

    /** A slice may keep alive at most this many times the bytes it carries before it is copied out. */
    private static final int MAX_PINNED_RATIO = 2;

    private ReadBufferSlices() {
    }

    /**
     * {@code data} itself when the memory it keeps alive is at most twice the bytes it carries, otherwise a
     * copy of its readable bytes in a buffer of their size (and {@code data} is released): a slice of a
     * larger read, a slice of joined reads, or a read buffer that is mostly empty. Takes ownership.
     */
    public static ByteBuf detach(ByteBuf data) {
        ByteBuf root = rootOf(data);
        if (!(root instanceof CompositeByteBuf) && root.capacity() <= (long) MAX_PINNED_RATIO * data.readableBytes()) {
            return data;
        }
        return copy(data);
    }

    /** The memory {@code data} is a view of, down through slices and leak-detection wrappers. */
    public static ByteBuf rootOf(ByteBuf data) {
        ByteBuf root = data;
        while (root.unwrap() != null) {
            root = root.unwrap();
        }
        return root;
    }

    /** A copy of the readable bytes in a buffer of their size, of the same kind; {@code data} is released. */
    static ByteBuf copy(ByteBuf data) {
        int n = data.readableBytes();
        ByteBuf own = data.isDirect() ? data.alloc().directBuffer(n, n) : data.alloc().heapBuffer(n, n);
        own.writeBytes(data, data.readerIndex(), n);
        data.release();
        return own;
    }
}
