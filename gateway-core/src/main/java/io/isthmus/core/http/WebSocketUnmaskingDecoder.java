package io.isthmus.core.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.util.internal.PlatformDependent;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Netty's server-side frame decoder with one fast path: a whole, masked, unfragmented binary frame within
 * the size limit is unmasked while it is copied out of the read buffer, in one pass of long words. Netty
 * copies the payload first and then unmasks it through {@code ByteBuf.getLong}/{@code setLong}, which a
 * profile of Wisp uploads showed as most of the gateway's Java time. Every other frame (text, control,
 * fragments, anything malformed or too large) goes to Netty's decoder, which keeps its checks and close
 * codes; it is only ever handed whole frames (or a header it will refuse), so it never stops mid-frame
 * and the two never disagree about where a frame starts.
 */
public final class WebSocketUnmaskingDecoder extends WebSocket13FrameDecoder {

    private static final int OPCODE_CONTINUATION = 0x0;
    private static final int OPCODE_BINARY = 0x2;
    private static final int OPCODE_CLOSE = 0x8;

    /** Raw-address access is there, and native longs are little-endian like the mask as we read it. */
    private static final boolean FAST = PlatformDependent.hasUnsafe() && !PlatformDependent.BIG_ENDIAN_NATIVE_ORDER;

    private final int maxFramePayload;
    /** A fragmented message is open (only Netty's decoder sees its frames, so it checks their order). */
    private boolean fragmented;
    /** After a close frame or a refused frame, Netty's decoder has the last word on every byte. */
    private boolean delegateOnly;

    public WebSocketUnmaskingDecoder(WebSocketDecoderConfig config) {
        super(config);
        // Joining reads without copying them: every payload byte is copied once, by the unmasking pass.
        setCumulator(COMPOSITE_CUMULATOR);
        this.maxFramePayload = config.maxFramePayloadLength();
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        if (delegateOnly) {
            super.decode(ctx, in, out);
            return;
        }
        int start = in.readerIndex();
        int readable = in.readableBytes();
        if (readable < 2) {
            return;
        }
        int b0 = in.getUnsignedByte(start);
        int b1 = in.getUnsignedByte(start + 1);
        boolean fin = (b0 & 0x80) != 0;
        int rsv = (b0 & 0x70) >> 4;
        int opcode = b0 & 0x0f;
        boolean masked = (b1 & 0x80) != 0;
        int len7 = b1 & 0x7f;
        int header = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (masked ? 4 : 0);
        if (readable < header) {
            return;
        }
        long length = len7 == 126 ? in.getUnsignedShort(start + 2) : len7 == 127 ? in.getLong(start + 2) : len7;
        if (length < 0 || length > maxFramePayload || !masked || rsv != 0) {
            // Netty's decoder refuses it from the header alone, with its own close code.
            delegate(ctx, in, out);
            return;
        }
        if (readable - header < length) {
            return; // wait for the whole frame
        }
        if (fin && opcode == OPCODE_BINARY && !fragmented) {
            int mask = in.getIntLE(start + header - 4);
            in.readerIndex(start + header);
            out.add(new BinaryWebSocketFrame(true, 0, unmaskCopy(ctx, in, (int) length, mask)));
            return;
        }
        if (opcode < OPCODE_CLOSE) {
            fragmented = opcode == OPCODE_CONTINUATION ? !fin && fragmented : !fin;
        }
        if (opcode == OPCODE_CLOSE) {
            delegateOnly = true;
        }
        delegate(ctx, in, out);
    }

    /** Hands the frame at the reader index to Netty's decoder; one that yields no frame was refused. */
    private void delegate(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        int before = out.size();
        super.decode(ctx, in, out);
        if (out.size() == before) {
            delegateOnly = true;
        }
    }

    /**
     * Reads {@code length} payload bytes, unmasked, into a new buffer: one pass, eight bytes at a time, over
     * each piece of the read buffer (the cumulation is composite, so reads are joined without a copy).
     */
    private static ByteBuf unmaskCopy(ChannelHandlerContext ctx, ByteBuf in, int length, int maskLE) {
        ByteBuf payload = ctx.alloc().directBuffer(length);
        if (length == 0) {
            return payload;
        }
        if (payload.nioBufferCount() != 1) {
            int from = in.readerIndex();
            for (int i = 0; i < length; i++) {
                payload.writeByte(in.getByte(from + i) ^ (maskLE >>> ((i & 3) << 3)));
            }
            in.skipBytes(length);
            return payload;
        }
        ByteBuffer[] pieces = in.nioBuffers(in.readerIndex(), length);
        if (FAST && payload.hasMemoryAddress() && allDirect(pieces)) {
            unmaskByAddress(pieces, payload.memoryAddress(), maskLE);
        } else {
            unmaskByBuffer(pieces, payload.internalNioBuffer(0, length).slice().order(ByteOrder.LITTLE_ENDIAN), maskLE);
        }
        payload.writerIndex(length);
        in.skipBytes(length);
        return payload;
    }

    private static boolean allDirect(ByteBuffer[] pieces) {
        for (ByteBuffer piece : pieces) {
            if (!piece.isDirect()) {
                return false;
            }
        }
        return true;
    }

    /**
     * The unmasking pass through raw addresses (native little-endian longs): the JIT compiles it to plain
     * loads and stores, where {@code ByteBuffer.getLong}/{@code putLong} keep bounds and liveness checks in
     * the loop (a profile of Wisp uploads had that loop at a fifth of the gateway's CPU, as much as the
     * kernel's copy of the same bytes).
     */
    private static void unmaskByAddress(ByteBuffer[] pieces, long dst, int maskLE) {
        int done = 0;
        for (ByteBuffer piece : pieces) {
            long src = PlatformDependent.directBufferAddress(piece) + piece.position();
            int n = piece.remaining();
            int m = Integer.rotateRight(maskLE, (done & 3) << 3);
            long mask = (m & 0xffffffffL) | ((long) m << 32);
            long to = dst + done;
            int i = 0;
            for (int end = n - 7; i < end; i += 8) {
                PlatformDependent.putLong(to + i, PlatformDependent.getLong(src + i) ^ mask);
            }
            for (; i < n; i++) {
                PlatformDependent.putByte(to + i, (byte) (PlatformDependent.getByte(src + i) ^ (m >>> ((i & 3) << 3))));
            }
            done += n;
        }
    }

    private static void unmaskByBuffer(ByteBuffer[] pieces, ByteBuffer dst, int maskLE) {
        int done = 0;
        for (ByteBuffer piece : pieces) {
            ByteBuffer src = piece.slice().order(ByteOrder.LITTLE_ENDIAN);
            int n = src.remaining();
            int m = Integer.rotateRight(maskLE, (done & 3) << 3);
            long mask = (m & 0xffffffffL) | ((long) m << 32);
            int i = 0;
            for (int end = n - 7; i < end; i += 8) {
                dst.putLong(done + i, src.getLong(i) ^ mask);
            }
            for (; i < n; i++) {
                dst.put(done + i, (byte) (src.get(i) ^ (m >>> ((i & 3) << 3))));
            }
            done += n;
        }
    }
}
