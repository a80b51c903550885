package io.isthmus.core.http;

import io.netty.buffer.ByteBuf;

/**
 * The header of a server's WebSocket frame (RFC 6455 §5.2: unmasked), written by hand where a frame's payload
 * does not pass through Netty's encoder (a payload spliced in the kernel follows its header as a file region).
 */
public final class WebSocketFrameHeader {

    /** The longest header of an unmasked frame: two bytes and a 64-bit length. */
    public static final int MAX_LENGTH = 10;

    private static final int FIN_BINARY = 0x82;

    private WebSocketFrameHeader() {
    }

    /** Writes the header of a final, unmasked binary frame of {@code payloadLength} bytes. */
    public static void writeBinary(ByteBuf out, long payloadLength) {
        if (payloadLength < 0) {
            throw new IllegalArgumentException("negative payload length");
        }
        out.writeByte(FIN_BINARY);
        if (payloadLength <= 125) {
            out.writeByte((int) payloadLength);
        } else if (payloadLength <= 0xffff) {
            out.writeByte(126).writeShort((int) payloadLength);
        } else {
            out.writeByte(127).writeLong(payloadLength);
        }
    }
}
