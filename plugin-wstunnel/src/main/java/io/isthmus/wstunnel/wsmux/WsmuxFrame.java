package io.isthmus.wstunnel.wsmux;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;

/**
 * One wsmux frame, exactly one binary WebSocket message (websocktunnel.md §4): a type byte, the stream id
 * as uint32 little-endian, then the payload. WebSocket gives the length; wsmux has none.
 *
 * @param type    {@link #DAT}, {@link #SYN}, {@link #ACK} or {@link #FIN}
 * @param id      the stream id (uint32, held in an int)
 * @param payload DAT bytes (owned by the caller of {@link #parse}), or null for the others
 * @param credit  an ACK's window or increment (uint32), else 0
 */
public record WsmuxFrame(int type, int id, ByteBuf payload, long credit) {

    public static final int DAT = 0;
    public static final int SYN = 1;
    public static final int ACK = 2;
    public static final int FIN = 3;
    public static final int HEADER_SIZE = 5;

    /** A message that is not a wsmux frame; the text goes into the 1008 close reason (as tc's server does). */
    public static final class Malformed extends Exception {
        public Malformed(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Reads a frame from one binary message (current Taskcluster rules: short frames, unknown types, an ACK
     * whose payload is not 4 bytes and a SYN or FIN with payload are malformed). A DAT's payload is a
     * retained slice of {@code message}; the caller still releases {@code message}.
     */
    public static WsmuxFrame parse(ByteBuf message) throws Malformed {
        int n = message.readableBytes();
        if (n < HEADER_SIZE) {
            throw new Malformed("wsmux frame shorter than 5 bytes");
        }
        int at = message.readerIndex();
        int type = message.getUnsignedByte(at);
        int id = message.getIntLE(at + 1);
        int payloadLength = n - HEADER_SIZE;
        switch (type) {
            case DAT:
                return new WsmuxFrame(DAT, id, message.retainedSlice(at + HEADER_SIZE, payloadLength), 0);
            case SYN:
            case FIN:
                if (payloadLength != 0) {
                    throw new Malformed((type == SYN ? "SYN" : "FIN") + " frame with a payload");
                }
                return new WsmuxFrame(type, id, null, 0);
            case ACK:
                if (payloadLength != 4) {
                    throw new Malformed("ACK payload is not 4 bytes");
                }
                return new WsmuxFrame(ACK, id, null, message.getUnsignedIntLE(at + HEADER_SIZE));
            default:
                throw new Malformed("unknown wsmux frame type " + type);
        }
    }

    /** The 5-byte header of a frame. */
    public static ByteBuf header(ByteBufAllocator alloc, int type, int id, int extra) {
        ByteBuf b = alloc.buffer(HEADER_SIZE + extra);
        b.writeByte(type);
        b.writeIntLE(id);
        return b;
    }

    /** A DAT frame around {@code payload} (ownership moves into the result; no copy). */
    public static ByteBuf data(ByteBufAllocator alloc, int id, ByteBuf payload) {
        CompositeByteBuf c = alloc.compositeBuffer(2);
        c.addComponent(true, header(alloc, DAT, id, 0));
        c.addComponent(true, payload);
        return c;
    }

    public static ByteBuf syn(ByteBufAllocator alloc, int id) {
        return header(alloc, SYN, id, 0);
    }

    public static ByteBuf fin(ByteBufAllocator alloc, int id) {
        return header(alloc, FIN, id, 0);
    }

    /** An ACK carrying {@code credit} (uint32 LE; larger values are capped). */
    public static ByteBuf ack(ByteBufAllocator alloc, int id, long credit) {
        ByteBuf b = header(alloc, ACK, id, 4);
        b.writeIntLE((int) Math.min(credit, 0xFFFF_FFFFL));
        return b;
    }
}
