package io.isthmus.rawsocket.wisp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Wisp's framing (protocol.md; bare-and-wisp.md §B.2): one packet per binary WebSocket message,
 * {@code type:u8 | stream_id:u32le | payload}, every integer little-endian. Builders for what the server
 * sends, parsers for what it reads.
 */
public final class WispPacket {

    public static final int CONNECT = 0x01;
    public static final int DATA = 0x02;
    public static final int CONTINUE = 0x03;
    public static final int CLOSE = 0x04;
    public static final int INFO = 0x05;

    /** {@code type + stream_id}. */
    public static final int HEADER = 5;

    public static final int STREAM_TCP = 0x01;
    public static final int STREAM_UDP = 0x02;

    /** v2 extension ids (§B.4). */
    public static final int EXT_UDP = 0x01;
    public static final int EXT_PASSWORD = 0x02;
    public static final int EXT_MOTD = 0x04;

    private WispPacket() {
    }

    static ByteBuf header(ByteBufAllocator alloc, int type, int streamId, int payloadBytes) {
        ByteBuf b = alloc.ioBuffer(HEADER + payloadBytes);
        b.writeByte(type).writeIntLE(streamId);
        return b;
    }

    /** {@code CONTINUE(stream, buffer_remaining)}. */
    public static BinaryWebSocketFrame continuePacket(ByteBufAllocator alloc, int streamId, long remaining) {
        return new BinaryWebSocketFrame(header(alloc, CONTINUE, streamId, 4).writeIntLE((int) Math.min(remaining, 0xffff_ffffL)));
    }

    /** {@code CLOSE(stream, reason)}. */
    public static BinaryWebSocketFrame close(ByteBufAllocator alloc, int streamId, WispCloseReason reason) {
        return new BinaryWebSocketFrame(header(alloc, CLOSE, streamId, 1).writeByte(reason.code()));
    }

    /** {@code DATA(stream, payload)}; takes ownership of {@code payload}, which is not copied. */
    public static BinaryWebSocketFrame data(ByteBufAllocator alloc, int streamId, ByteBuf payload) {
        return withHeader(alloc, DATA, streamId, payload);
    }

    /** A packet of {@code type} whose payload is {@code payload} (owned, not copied). */
    static BinaryWebSocketFrame withHeader(ByteBufAllocator alloc, int type, int streamId, ByteBuf payload) {
        int n = payload.readableBytes();
        if (n <= 512) {
            // Small payloads: one buffer is cheaper than a composite.
            ByteBuf b = header(alloc, type, streamId, n).writeBytes(payload);
            payload.release();
            return new BinaryWebSocketFrame(b);
        }
        ByteBuf head = header(alloc, type, streamId, 0);
        return new BinaryWebSocketFrame(alloc.compositeDirectBuffer(2).addComponents(true, head, payload));
    }

    /** {@code INFO(0, major, minor, extensions)}. */
    public static BinaryWebSocketFrame info(ByteBufAllocator alloc, int major, int minor, List<Extension> extensions) {
        ByteBuf b = header(alloc, INFO, 0, 64).writeByte(major).writeByte(minor);
        for (Extension e : extensions) {
            b.writeByte(e.id()).writeIntLE(e.payload().length).writeBytes(e.payload());
        }
        return new BinaryWebSocketFrame(b);
    }

    /** One extension record of an INFO packet: {@code id:u8 | payload_len:u32le | payload}. */
    public record Extension(int id, byte[] payload) {

        public static Extension empty(int id) {
            return new Extension(id, new byte[0]);
        }
    }

    /**
     * The extension records of an INFO payload (after {@code major, minor}); a truncated record ends the
     * list (what came before it still counts).
     */
    public static List<Extension> parseExtensions(ByteBuf records) {
        List<Extension> out = new ArrayList<>();
        while (records.readableBytes() >= 5) {
            int id = records.readUnsignedByte();
            long len = records.readUnsignedIntLE();
            if (len > records.readableBytes()) {
                break;
            }
            byte[] payload = new byte[(int) len];
            records.readBytes(payload);
            out.add(new Extension(id, payload));
        }
        return out;
    }

    /** A CONNECT payload: {@code stream_type:u8 | port:u16le | hostname:utf8[rest]}. */
    public record Connect(int streamType, int port, String host) {

        /** The payload at {@code payload}'s reader index, or null when it is shorter than 3 bytes or the name is not UTF-8. */
        public static Connect parse(ByteBuf payload) {
            if (payload.readableBytes() < 3) {
                return null;
            }
            int type = payload.readUnsignedByte();
            int port = payload.readUnsignedShortLE();
            String host = utf8(payload);
            return host == null ? null : new Connect(type, port, host);
        }
    }

    /** The rest of {@code b} as strict UTF-8, or null when it is not. */
    static String utf8(ByteBuf b) {
        ByteBuffer bytes = b.nioBufferCount() == 1 ? b.nioBuffer() : ByteBuffer.wrap(readAll(b.duplicate()));
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes).toString();
        } catch (CharacterCodingException e) {
            return null;
        } finally {
            b.skipBytes(b.readableBytes());
        }
    }

    private static byte[] readAll(ByteBuf b) {
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        return out;
    }
}
