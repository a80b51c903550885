package io.isthmus.core.testing;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * RFC 6455 frames written and read byte by byte, for the tests' raw WebSocket clients (they must send
 * exact, also broken, frames and see exactly what the gateway sends): the upgrade request, a frame's
 * header, a whole frame masked or not, and one frame read from a blocking stream.
 */
public final class WsFrames {

    public static final int CONT = 0;
    public static final int TEXT = 1;
    public static final int BINARY = 2;
    public static final int CLOSE = 8;
    public static final int PING = 9;
    public static final int PONG = 10;

    /** A read frame beyond this is a broken stream, not a test's message. */
    private static final long MAX_READ = 64 << 20;

    private WsFrames() {
    }

    /** One frame as read; {@code fin} false for a fragment, {@code payload} already unmasked. */
    public record Frame(int opcode, boolean fin, boolean masked, byte[] payload) {
        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        /** The close code of a close frame, or -1. */
        public int closeCode() {
            return opcode == CLOSE && payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : -1;
        }
    }

    /** An upgrade request for {@code path} with RFC 6455's sample key; {@code extraHeaders} are whole lines ending in CRLF. */
    public static String upgradeRequest(String path, String host, String extraHeaders) {
        return "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" + extraHeaders + "\r\n";
    }

    /** The header of a frame announcing {@code len} bytes, without the masking key. */
    public static byte[] header(int opcode, boolean fin, boolean masked, long len) {
        ByteArrayOutputStream h = new ByteArrayOutputStream(10);
        h.write((fin ? 0x80 : 0) | opcode);
        int m = masked ? 0x80 : 0;
        if (len < 126) {
            h.write(m | (int) len);
        } else if (len <= 0xffff) {
            h.write(m | 126);
            h.write((int) (len >>> 8));
            h.write((int) len);
        } else {
            h.write(m | 127);
            for (int i = 7; i >= 0; i--) {
                h.write((int) (len >>> (8 * i)));
            }
        }
        return h.toByteArray();
    }

    /** A whole final frame, masked with a random key (as a client sends) or not. */
    public static byte[] frame(int opcode, byte[] payload, boolean masked) {
        return frame(opcode, true, payload, 0, payload.length, masked);
    }

    /** A whole frame of {@code len} bytes of {@code payload} from {@code off}. */
    public static byte[] frame(int opcode, boolean fin, byte[] payload, int off, int len, boolean masked) {
        ByteArrayOutputStream f = new ByteArrayOutputStream(len + 14);
        f.writeBytes(header(opcode, fin, masked, len));
        if (!masked) {
            f.write(payload, off, len);
            return f.toByteArray();
        }
        byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        f.writeBytes(mask);
        for (int i = 0; i < len; i++) {
            f.write(payload[off + i] ^ mask[i & 3]);
        }
        return f.toByteArray();
    }

    /** The next frame that is not a ping or a pong (those are dropped; at most 1000 of them). */
    public static Frame readData(DataInputStream in) throws IOException {
        for (int i = 0; i < 1000; i++) {
            Frame f = read(in);
            if (f.opcode() != PING && f.opcode() != PONG) {
                return f;
            }
        }
        throw new IOException("no data or close frame among 1000 control frames");
    }

    /** The next frame of any kind; EOF before its first byte is an {@link EOFException}. */
    public static Frame read(DataInputStream in) throws IOException {
        int b0 = in.read();
        if (b0 < 0) {
            throw new EOFException("closed by the gateway");
        }
        int b1 = in.readUnsignedByte();
        long len = b1 & 0x7f;
        if (len == 126) {
            len = in.readUnsignedShort();
        } else if (len == 127) {
            len = in.readLong();
        }
        if (len > MAX_READ) {
            throw new IOException("frame of " + len + " bytes");
        }
        boolean masked = (b1 & 0x80) != 0;
        byte[] mask = new byte[4];
        if (masked) {
            in.readFully(mask);
        }
        byte[] payload = new byte[(int) len];
        in.readFully(payload);
        if (masked) {
            for (int i = 0; i < payload.length; i++) {
                payload[i] ^= mask[i & 3];
            }
        }
        return new Frame(b0 & 0x0f, (b0 & 0x80) != 0, masked, payload);
    }
}
