package io.isthmus.core.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
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
 * the size limit is unmasked in place, in the buffer it was read into, in one pass of long words, and its
 * payload is handed on as a slice of that buffer: the only copies of an upload's bytes are the kernel's, in
 * and out. (Netty copies the payload first and then unmasks it through {@code ByteBuf.getLong}/{@code
 * setLong}, which a profile of Wisp uploads showed as most of the gateway's Java time; copying while
 * unmasking still cost a fifth more CPU per byte than unmasking in place.) A slice keeps its whole read
 * buffer alive, so whoever makes bytes wait detaches them first ({@link io.isthmus.core.transport.ReadBufferSlices}).
 * Every other frame (text, control, fragments, anything malformed or too large) goes to Netty's decoder,
 * which keeps its checks and close codes; it is only ever handed whole frames (or a header it will refuse),
 * so it never stops mid-frame and the two never disagree about where a frame starts.
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
        // Joining reads without copying them: a frame split across two reads is unmasked where each part lies.
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
        if (fin && opcode == OPCODE_BINARY && !fragmented && !in.isReadOnly()) {
            int mask = in.getIntLE(start + header - 4);
            in.readerIndex(start + header);
            unmaskInPlace(in, (int) length, mask);
            out.add(new BinaryWebSocketFrame(true, 0, readPayload(in, (int) length)));
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

    /**
     * The payload at the reader index, as slices of the buffers it was read into, not of the cumulation: a
     * slice of the cumulation would keep it, and every read joined to it later, alive while the payload
     * waits (and stop the decoder from letting go of read parts). A payload spanning two reads is a fresh
     * composite of their two slices.
     */
    private static ByteBuf readPayload(ByteBuf in, int length) {
        if (!(in instanceof CompositeByteBuf joined) || length == 0) {
            return in.readRetainedSlice(length);
        }
        List<ByteBuf> parts = joined.decompose(in.readerIndex(), length);
        in.skipBytes(length);
        if (parts.size() == 1) {
            return parts.get(0).retain();
        }
        CompositeByteBuf payload = joined.alloc().compositeBuffer(parts.size());
        for (ByteBuf part : parts) {
            payload.addComponent(true, part.retain());
        }
        return payload;
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
     * Unmasks the {@code length} bytes at the reader index where they lie: one pass, eight bytes at a time,
     * over each piece of the read buffer (the cumulation is composite, so a frame may span two reads).
     */
    private static void unmaskInPlace(ByteBuf in, int length, int maskLE) {
        if (length == 0) {
            return;
        }
        ByteBuffer[] pieces = in.nioBuffers(in.readerIndex(), length);
        if (FAST && allDirect(pieces)) {
            unmaskByAddress(pieces, maskLE);
        } else {
            unmaskByBuffer(pieces, maskLE);
        }
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
    private static void unmaskByAddress(ByteBuffer[] pieces, int maskLE) {
        int done = 0;
        for (ByteBuffer piece : pieces) {
            long at = PlatformDependent.directBufferAddress(piece) + piece.position();
            int n = piece.remaining();
            int m = Integer.rotateRight(maskLE, (done & 3) << 3);
            long mask = (m & 0xffffffffL) | ((long) m << 32);
            int i = 0;
            for (int end = n - 7; i < end; i += 8) {
                PlatformDependent.putLong(at + i, PlatformDependent.getLong(at + i) ^ mask);
            }
            for (; i < n; i++) {
                PlatformDependent.putByte(at + i, (byte) (PlatformDependent.getByte(at + i) ^ (m >>> ((i & 3) << 3))));
            }
            done += n;
        }
    }

    private static void unmaskByBuffer(ByteBuffer[] pieces, int maskLE) {
        int done = 0;
        for (ByteBuffer piece : pieces) {
            ByteBuffer at = piece.slice().order(ByteOrder.LITTLE_ENDIAN);
            int n = at.remaining();
            int m = Integer.rotateRight(maskLE, (done & 3) << 3);
            long mask = (m & 0xffffffffL) | ((long) m << 32);
            int i = 0;
            for (int end = n - 7; i < end; i += 8) {
                at.putLong(i, at.getLong(i) ^ mask);
            }
            for (; i < n; i++) {
                at.put(i, (byte) (at.get(i) ^ (m >>> ((i & 3) << 3))));
            }
            done += n;
        }
    }
}
