package io.isthmus.rawsocket.wisp;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.isthmus.core.ValidatedConfig;
import io.isthmus.core.egress.EgressDialer;
import io.isthmus.core.egress.EgressPolicy;
import io.isthmus.core.egress.EgressRules;
import io.isthmus.core.fuzz.FuzzSupport;
import io.isthmus.core.metrics.GatewayMetrics;
import io.isthmus.core.testing.TestGateways;
import io.isthmus.core.transport.Transport;
import io.isthmus.rawsocket.RawSocketConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * A Wisp v2 session (in an {@link EmbeddedChannel}) whose endpoint requires a password (alice / s3cret-pass),
 * offers UDP, a MOTD and the Direct Sockets extension, and whose egress policy refuses every target (so a
 * CONNECT never leaves the test), hearing an arbitrary sequence of client messages.
 *
 * <p>Input: messages, each {@code kind:u8 | length:u8 | bytes}; kind % 8: 0-4 binary, 5 text, 6 ping, 7 pong.
 *
 * <p>Properties: nothing throws out of the pipeline; everything the server sends is a Wisp packet of a type
 * it may send (INFO first, then CONTINUE, CLOSE with a reason of the spec, OPENED), a ping, a pong, or a close frame;
 * the session is established (CONTINUE on stream 0) exactly when the first client packet is an INFO on stream
 * 0 whose password record (the last one) spells the user and password in either layout, and never after a
 * refusal; no stream is opened without an established session; every buffer is released.
 */
class WispSessionFuzzTest {

    private static final Set<Integer> REASONS = Set.of(0x01, 0x02, 0x03, 0x04, 0x41, 0x42, 0x43, 0x44, 0x47, 0x48, 0x49,
            0xc0, 0xc1, 0xc2);
    private static EventLoopGroup group;
    private static EgressDialer dialer;
    private static WispServer server;

    @BeforeAll
    static void setUp() {
        FuzzSupport.beforeFuzzTests();
        ValidatedConfig config = ValidatedConfig.of(TestGateways.config("""
                isthmus.plugins.rawsocket.wisp {
                  password { required = true, users { alice = "s3cret-pass" } }
                  motd = "welcome"
                  direct-sockets = true
                }
                """));
        RawSocketConfig raw = (RawSocketConfig) config.plugins().entries().stream()
                .filter(e -> e.config() instanceof RawSocketConfig).findFirst().orElseThrow().config();
        Transport transport = Transport.choose("nio");
        group = transport.newGroup(1, new DefaultThreadFactory("wisp-fuzz"));
        dialer = new EgressDialer(transport, group, config.core().egress());
        EgressPolicy nowhere = EgressPolicy.of(new EgressRules(List.of(), List.of("0.0.0.0/0", "::/0"), List.of(),
                List.of(), List.of(), List.of("1-65535")));
        server = new WispServer(raw.wisp(), nowhere, dialer, null, new WispMetrics(new GatewayMetrics("fuzz").protocol("wisp")));
    }

    @AfterAll
    static void tearDown() {
        dialer.close();
        group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS);
    }

    @FuzzTest(maxDuration = "60s")
    void packets(byte[] data) {
        EmbeddedChannel channel = new EmbeddedChannel();
        WispSession session = new WispSession(channel, server, new WispConnector(server), true,
                new WispPasswords(Map.of("alice", "s3cret-pass")));
        List<String> problems = new ArrayList<>();
        String input = FuzzSupport.hex(data);
        try {
            channel.pipeline().addLast(session);
            session.start();
            channel.runPendingTasks();
            List<byte[]> first = drain(channel, problems);
            assertThat(first).as("the server's INFO").isNotEmpty();
            assertThat(first.get(0)[0]).isEqualTo((byte) WispPacket.INFO);
            Boolean decided = null;
            boolean established = false;
            for (int at = 0; at + 2 <= data.length && channel.isOpen(); ) {
                int kind = data[at] & 0xFF;
                int length = Math.min(data[at + 1] & 0xFF, data.length - at - 2);
                byte[] bytes = Arrays.copyOfRange(data, at + 2, at + 2 + length);
                at += 2 + length;
                boolean binary = kind % 8 <= 4;
                if (binary && bytes.length >= WispPacket.HEADER && decided == null) {
                    decided = goodInfo(bytes);
                }
                channel.writeInbound(frame(kind, bytes));
                channel.runPendingTasks();
                for (byte[] packet : drain(channel, problems)) {
                    int type = packet[0] & 0xFF;
                    int id = (packet[1] & 0xFF) | (packet[2] & 0xFF) << 8 | (packet[3] & 0xFF) << 16 | (packet[4] & 0xFF) << 24;
                    if (type == WispPacket.CONTINUE && id == 0) {
                        assertThat(established).as("a second CONTINUE(0) for %s", input).isFalse();
                        assertThat(decided).as("established by %s", input).isEqualTo(Boolean.TRUE);
                        established = true;
                    }
                    if (!established) {
                        assertThat(type == WispPacket.CLOSE && id == 0).as("before the handshake, only CLOSE(0): %s", input).isTrue();
                    }
                }
                assertThat(session.streamCount() == 0 || established).as("stream without a handshake: %s", input).isTrue();
            }
            channel.checkException();
            if (Boolean.TRUE.equals(decided) && channel.isOpen()) {
                assertThat(established).as("the right password was not taken: %s", input).isTrue();
            }
            assertThat(problems).as("server frames for %s", input).isEmpty();
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    /** The session's handshake rule, read independently: INFO on stream 0 whose last password record is good. */
    private static boolean goodInfo(byte[] packet) {
        if (packet[0] != WispPacket.INFO || packet[1] != 0 || packet[2] != 0 || packet[3] != 0 || packet[4] != 0
                || packet.length < WispPacket.HEADER + 2) {
            return false;
        }
        byte[] credentials = null;
        int at = WispPacket.HEADER + 2;
        while (packet.length - at >= 5) {
            int id = packet[at] & 0xFF;
            long len = (packet[at + 1] & 0xFFL) | (packet[at + 2] & 0xFFL) << 8 | (packet[at + 3] & 0xFFL) << 16
                    | (packet[at + 4] & 0xFFL) << 24;
            if (len > packet.length - at - 5) {
                break;
            }
            if (id == WispPacket.EXT_PASSWORD) {
                credentials = Arrays.copyOfRange(packet, at + 5, at + 5 + (int) len);
            }
            at += 5 + (int) len;
        }
        return credentials != null && spells(credentials);
    }

    private static boolean spells(byte[] p) {
        byte[] user = "alice".getBytes();
        byte[] pass = "s3cret-pass".getBytes();
        if (p.length < 1) {
            return false;
        }
        int u = p[0] & 0xFF;
        if (p.length >= 3) {
            int n = (p[1] & 0xFF) | (p[2] & 0xFF) << 8;
            if (3 + u + n == p.length && Arrays.equals(Arrays.copyOfRange(p, 3, 3 + u), user)
                    && Arrays.equals(Arrays.copyOfRange(p, 3 + u, p.length), pass)) {
                return true;
            }
        }
        return 1 + u <= p.length && Arrays.equals(Arrays.copyOfRange(p, 1, 1 + u), user)
                && Arrays.equals(Arrays.copyOfRange(p, 1 + u, p.length), pass);
    }

    private static WebSocketFrame frame(int kind, byte[] bytes) {
        ByteBuf b = ByteBufAllocator.DEFAULT.buffer(Math.max(1, bytes.length)).writeBytes(bytes);
        return switch (kind % 8) {
            case 5 -> new TextWebSocketFrame(b);
            case 6 -> new PingWebSocketFrame(b);
            case 7 -> new PongWebSocketFrame(b);
            default -> new BinaryWebSocketFrame(b);
        };
    }

    /** The server's Wisp packets since the last call (each checked); pings (the keepalive), pongs and close frames are dropped. */
    private static List<byte[]> drain(EmbeddedChannel channel, List<String> problems) {
        List<byte[]> packets = new ArrayList<>();
        for (Object out; (out = channel.readOutbound()) != null; ) {
            try {
                if (out instanceof BinaryWebSocketFrame f) {
                    byte[] b = io.netty.buffer.ByteBufUtil.getBytes(f.content());
                    if (b.length < WispPacket.HEADER) {
                        problems.add("short packet");
                        continue;
                    }
                    int type = b[0] & 0xFF;
                    if (type == WispPacket.CLOSE && (b.length != 6 || !REASONS.contains(b[5] & 0xFF))) {
                        problems.add("CLOSE with reason " + (b.length > 5 ? b[5] & 0xFF : -1));
                    } else if (!Set.of(WispPacket.INFO, WispPacket.CONTINUE, WispPacket.CLOSE, WispPacket.DATA,
                            DirectSocketsExtension.OPENED).contains(type)) {
                        problems.add("packet type " + type);
                    }
                    packets.add(b);
                } else if (!(out instanceof PongWebSocketFrame) && !(out instanceof PingWebSocketFrame) && !(out instanceof CloseWebSocketFrame)) {
                    problems.add("sent " + out.getClass().getSimpleName());
                }
            } finally {
                ReferenceCountUtil.release(out);
            }
        }
        return packets;
    }
}
