package io.isthmus.core.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import java.util.ArrayDeque;

/**
 * The bytes waiting in one first-in-first-out queue (a stream's held data, a socket's unwritten writes) and
 * the read buffers they keep alive. {@link ReadBufferSlices#detach} judges each slice alone, so a 64 KiB
 * frame that is a quarter of its 256 KiB read is copied out although the frames after it in the same queue
 * are the rest of that read. This ledger judges the queue: slices of one read buffer that wait one after
 * another pin that buffer once, and a slice is copied out only when keeping it would let the memory pinned
 * exceed twice the bytes waiting plus {@link #SLACK}. So a target that falls behind an upload no longer
 * turns every waiting frame into a copy, and a client that interleaves small messages still pins at most
 * twice what waits (plus the slack) per queue.
 *
 * <p>Touched only by the thread that fills the queue.
 */
public final class WaitingSlices {

    /** Memory a queue may pin beyond twice its bytes: two read buffers at the default max-read-size. */
    public static final long SLACK = 512 * 1024;

    /** A buffer joining more reads than this is copied rather than accounted part by part. */
    private static final int MAX_PARTS = 4;

    private static final class Entry {
        final int bytes;
        /** Memory this entry accounts for: released from the ledger when it leaves the queue. */
        long pinned;
        /** The part of {@link #pinned} that is {@link #lastRoot}, handed on to the next entry of that root. */
        long lastRootPinned;
        Object lastRoot;

        Entry(int bytes) {
            this.bytes = bytes;
        }
    }

    /** Entries in queue order; made at the first admission (many queues never hold anything). */
    private ArrayDeque<Entry> entries;
    private long bytes;
    private long pinned;

    /**
     * Admits {@code data} to the queue: {@code data} itself when the queue may keep its read buffers alive,
     * otherwise a copy of its readable bytes (and {@code data} is released). Takes ownership.
     */
    public ByteBuf admit(ByteBuf data) {
        int n = data.readableBytes();
        if (entries == null) {
            entries = new ArrayDeque<>(4);
        }
        Entry tail = entries.peekLast();
        Object alreadyPinned = tail == null ? null : tail.lastRoot;
        Entry entry = new Entry(n);
        Object first = account(data, alreadyPinned, entry);
        // What admitting pins that the queue does not pin already (a handed-on account is not new).
        long newlyPinned = entry.pinned;
        if (first == UNACCOUNTABLE || pinned + newlyPinned > 2 * (bytes + n) + SLACK) {
            newlyPinned = n;
            entry.pinned = n;
            entry.lastRootPinned = 0;
            entry.lastRoot = null;
            data = ReadBufferSlices.copy(data);
        } else if (first == alreadyPinned && tail != null) {
            // The tail's last buffer stays pinned as long as this entry waits: its account moves here.
            entry.pinned += tail.lastRootPinned;
            if (entry.lastRoot == first) {
                entry.lastRootPinned += tail.lastRootPinned;
            }
            tail.pinned -= tail.lastRootPinned;
            tail.lastRootPinned = 0;
        }
        entries.addLast(entry);
        bytes += n;
        pinned += newlyPinned;
        return data;
    }

    private static final Object UNACCOUNTABLE = new Object();

    /**
     * Fills {@code entry} with the memory {@code data} would newly pin (the tail's last buffer is pinned
     * already) and returns the read buffer its bytes start in; {@link #UNACCOUNTABLE} when that cannot be
     * told (a buffer joining many reads, or joins of joins).
     */
    private static Object account(ByteBuf data, Object alreadyPinned, Entry entry) {
        ByteBuf root = ReadBufferSlices.rootOf(data);
        if (!(root instanceof CompositeByteBuf joined)) {
            addRoot(entry, root, alreadyPinned);
            return root;
        }
        int parts = joined.numComponents();
        if (parts == 0 || parts > MAX_PARTS) {
            return UNACCOUNTABLE;
        }
        ByteBuf first = null;
        for (int i = 0; i < parts; i++) {
            ByteBuf part = ReadBufferSlices.rootOf(joined.internalComponent(i));
            if (part instanceof CompositeByteBuf) {
                return UNACCOUNTABLE;
            }
            if (i == 0) {
                first = part;
                addRoot(entry, part, alreadyPinned);
            } else if (part != entry.lastRoot) {
                addRoot(entry, part, null);
            }
        }
        return first;
    }

    private static void addRoot(Entry entry, ByteBuf root, Object alreadyPinned) {
        long capacity = root == alreadyPinned ? 0 : root.capacity();
        entry.pinned += capacity;
        entry.lastRoot = root;
        entry.lastRootPinned = capacity;
    }

    /** The oldest admitted buffer left the queue. */
    public void left() {
        Entry head = entries == null ? null : entries.pollFirst();
        if (head != null) {
            bytes -= head.bytes;
            pinned -= head.pinned;
        }
    }

    /**
     * For queues that do not report each leaving (a channel's outbound buffer, which counts {@code
     * overheadPerEntry} more for each message it holds): {@code stillWaiting} is what the queue still counts,
     * so every entry older than what the rest account for has left. Others' bytes in the same queue make
     * this err on keeping.
     */
    public void trimTo(long stillWaiting, int overheadPerEntry) {
        if (entries == null) {
            return;
        }
        Entry head;
        while ((head = entries.peekFirst()) != null
                && bytes - head.bytes + (long) overheadPerEntry * (entries.size() - 1) >= stillWaiting) {
            left();
        }
    }

    /** The queue was emptied (released, closed). */
    public void clear() {
        if (entries != null) {
            entries.clear();
        }
        bytes = 0;
        pinned = 0;
    }

    /** Bytes waiting, as admitted. */
    public long bytes() {
        return bytes;
    }

    /** Memory those bytes keep alive, as accounted. */
    public long pinned() {
        return pinned;
    }
}
