package io.isthmus.rawsocket.wisp;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.isthmus.core.fuzz.FuzzSupport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;

/**
 * The payloads a Wisp client sends, into their readers: CONNECT ({@link WispPacket.Connect#parse}), the
 * extension records of INFO ({@link WispPacket#parseExtensions}), the password extension
 * ({@link WispPasswords#accepts}) and the Direct Sockets CONNECT_EX ({@link DirectSocketsExtension#parse}).
 * In the wisp package: the readers are package-private.
 *
 * <p>Input: one byte choosing the reader ({@code % 5}), then the payload.
 *
 * <p>Properties: no reader throws; a CONNECT is read only from 3 bytes or more with a strict UTF-8 name,
 * and writing type, port and name again gives the payload back; the extension records read are the
 * payload's leading records exactly (what remains is shorter than a record header or a truncated record),
 * and the server's {@code info} builder writes them back to the same bytes; a password payload is accepted
 * only when one of the two layouts spells a configured user and that user's password; a CONNECT_EX is read
 * only when its options fit, its buffer sizes are positive, its idle timeout never lengthens the server's,
 * and the plain CONNECT after the options round-trips; every buffer is released.
 */
class WispPacketFuzzTest {

    private static final Map<String, String> USERS = Map.of("alice", "s3cret-pass", "bob", "hunter2");
    private static final WispPasswords PASSWORDS = new WispPasswords(USERS);

    @BeforeAll
    static void setUp() {
        FuzzSupport.beforeFuzzTests();
    }

    @FuzzTest(maxDuration = "60s")
    void packet(byte[] data) {
        if (data.length == 0) {
            return;
        }
        byte[] payload = Arrays.copyOfRange(data, 1, data.length);
        String input = FuzzSupport.hex(data);
        ByteBuf buf = ByteBufAllocator.DEFAULT.buffer(Math.max(1, payload.length)).writeBytes(payload);
        try {
            switch ((data[0] & 0xFF) % 5) {
                case 0 -> connect(buf, payload, input);
                case 1 -> extensions(buf, payload, input);
                case 2 -> assertThat(PASSWORDS.accepts(payload)).as("password %s", input).isEqualTo(credentialsGood(payload));
                default -> connectEx(buf, payload, input);
            }
        } finally {
            buf.release();
        }
    }

    private static void connect(ByteBuf buf, byte[] payload, String input) {
        WispPacket.Connect c = WispPacket.Connect.parse(buf);
        if (c == null) {
            assertThat(payload.length < 3 || !strictUtf8(Arrays.copyOfRange(payload, 3, payload.length)))
                    .as("refused CONNECT %s", input).isTrue();
            return;
        }
        assertThat(connectBytes(c)).as("CONNECT %s", input).isEqualTo(payload);
    }

    private static byte[] connectBytes(WispPacket.Connect c) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(c.streamType());
        out.write(c.port() & 0xFF);
        out.write(c.port() >>> 8);
        out.writeBytes(c.host().getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    private static void extensions(ByteBuf buf, byte[] payload, String input) {
        List<WispPacket.Extension> records = WispPacket.parseExtensions(buf);
        byte[] written = recordBytes(records);
        assertThat(Arrays.copyOf(payload, Math.min(written.length, payload.length))).as("records of %s", input).isEqualTo(written);
        int rest = payload.length - written.length;
        if (rest >= 5) {
            long len = (payload[written.length + 1] & 0xFFL) | (payload[written.length + 2] & 0xFFL) << 8
                    | (payload[written.length + 3] & 0xFFL) << 16 | (payload[written.length + 4] & 0xFFL) << 24;
            assertThat(len).as("record left unread in %s", input).isGreaterThan(rest - 5L);
        }
        BinaryWebSocketFrame info = WispPacket.info(ByteBufAllocator.DEFAULT, 2, 0, records);
        try {
            byte[] bytes = ByteBufUtil.getBytes(info.content());
            assertThat(Arrays.copyOfRange(bytes, 0, 7)).isEqualTo(new byte[] {WispPacket.INFO, 0, 0, 0, 0, 2, 0});
            assertThat(Arrays.copyOfRange(bytes, 7, bytes.length)).as("INFO of %s", input).isEqualTo(written);
        } finally {
            info.release();
        }
    }

    private static byte[] recordBytes(List<WispPacket.Extension> records) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (WispPacket.Extension e : records) {
            int n = e.payload().length;
            out.write(e.id());
            out.write(n);
            out.write(n >>> 8);
            out.write(n >>> 16);
            out.write(n >>> 24);
            out.writeBytes(e.payload());
        }
        return out.toByteArray();
    }

    /** The two layouts of WispPasswords, read independently: does either name a user with its password? */
    private static boolean credentialsGood(byte[] p) {
        if (p.length < 1) {
            return false;
        }
        int user = p[0] & 0xFF;
        if (p.length >= 3) {
            int pass = (p[1] & 0xFF) | (p[2] & 0xFF) << 8;
            if (3 + user + pass == p.length && matches(p, 3, user, 3 + user, pass)) {
                return true;
            }
        }
        return 1 + user <= p.length && matches(p, 1, user, 1 + user, p.length - 1 - user);
    }

    private static boolean matches(byte[] p, int userAt, int userLength, int passAt, int passLength) {
        for (Map.Entry<String, String> u : USERS.entrySet()) {
            if (Arrays.equals(Arrays.copyOfRange(p, userAt, userAt + userLength), u.getKey().getBytes(StandardCharsets.UTF_8))
                    && Arrays.equals(Arrays.copyOfRange(p, passAt, passAt + passLength), u.getValue().getBytes(StandardCharsets.UTF_8))) {
                return true;
            }
        }
        return false;
    }

    private static void connectEx(ByteBuf buf, byte[] payload, String input) {
        DirectSocketsExtension.ParsedConnect parsed = DirectSocketsExtension.parse(buf);
        if (parsed == null) {
            return;
        }
        assertThat(payload.length).isGreaterThanOrEqualTo(5);
        int optionsLength = (payload[3] & 0xFF) | (payload[4] & 0xFF) << 8;
        byte[] plain = new byte[payload.length - optionsLength - 2];
        System.arraycopy(payload, 0, plain, 0, 3);
        System.arraycopy(payload, 5 + optionsLength, plain, 3, plain.length - 3);
        assertThat(connectBytes(parsed.connect())).as("CONNECT_EX %s", input).isEqualTo(plain);
        DirectSocketsExtension.Options o = parsed.options();
        for (Integer size : new Integer[] {o.sendBufferSize(), o.receiveBufferSize()}) {
            assertThat(size == null || size > 0).as("buffer size in %s", input).isTrue();
        }
        Duration server = Duration.ofMinutes(10);
        assertThat(o.idleTimeout(server)).as("idle timeout of %s", input).isLessThanOrEqualTo(server).isPositive();
    }

    private static boolean strictUtf8(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes));
            return true;
        } catch (java.nio.charset.CharacterCodingException e) {
            return false;
        }
    }
}
