package io.isthmus.distribution;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;

/** Just enough RFC 6455 for tests over a raw socket: masked client frames out, server frames in. */
final class WsFrames {

    static final int BINARY = 2;
    static final int CLOSE = 8;

    record Frame(int opcode, byte[] payload) {
        int closeCode() {
            return payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005;
        }
    }

    private WsFrames() {
    }

    /** A masked binary frame of fewer than 126 bytes. */
    static byte[] maskedBinary(byte[] payload) {
        if (payload.length >= 126) {
            throw new IllegalArgumentException("short payloads only");
        }
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        f.write(0x80 | BINARY);
        f.write(0x80 | payload.length);
        byte[] mask = {1, 2, 3, 4};
        f.writeBytes(mask);
        for (int i = 0; i < payload.length; i++) {
            f.write(payload[i] ^ mask[i & 3]);
        }
        return f.toByteArray();
    }

    /** The next frame that is not a ping or pong (at most 10 skipped). */
    static Frame read(DataInputStream in) throws IOException {
        for (int frames = 0; frames < 10; frames++) {
            int b0 = in.readUnsignedByte();
            int len = in.readUnsignedByte() & 0x7F;
            if (len == 126) {
                len = in.readUnsignedShort();
            } else if (len == 127) {
                len = (int) in.readLong();
            }
            byte[] payload = new byte[len];
            in.readFully(payload);
            int opcode = b0 & 0x0F;
            if (opcode != 0x9 && opcode != 0xA) {
                return new Frame(opcode, payload);
            }
        }
        throw new IOException("no data or close frame within 10 frames");
    }
}
