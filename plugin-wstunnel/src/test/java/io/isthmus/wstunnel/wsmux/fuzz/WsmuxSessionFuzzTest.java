package io.isthmus.wstunnel.wsmux.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.isthmus.core.fuzz.FuzzSupport;
import io.isthmus.core.mux.MuxKeepalive;
import io.isthmus.core.mux.MuxStream;
import io.isthmus.core.splice.EndpointSink;
import io.isthmus.wstunnel.wsmux.WsmuxFrame;
import io.isthmus.wstunnel.wsmux.WsmuxSession;
import io.isthmus.wstunnel.wsmux.WsmuxStream;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;

/**
 * A server's wsmux session (in an {@link EmbeddedChannel}) that has opened streams 0, 2, 4 and 6, each with
 * 100 bytes queued for the client, then hears an arbitrary sequence of client messages. Stream 6 is the
 * bystander: the client ACKs it first, and no fuzzed message names it.
 *
 * <p>Input: messages, each {@code kind:u8 | length:u8 | bytes}; kind % 8: 0-3 binary, 4 text, 5 ping, 6 pong,
 * 7 continuation (a close frame only when kind is 0xFF).
 *
 * <p>Properties: nothing throws out of the pipeline; every frame the server sends is a well-formed wsmux
 * frame (or a pong, or the 1008 close after a malformed message, and only then); no stream sends more DAT
 * bytes than the client's ACKs allowed; what each stream delivers is a prefix of the DAT bytes the client
 * sent on its id (no bytes lost in the middle, none from another stream), and no more than its window plus
 * the credit the server granted; unless the session was closed, the bystander is still open, got its queued
 * bytes out, and delivers a DAT sent after the fuzzed messages; every buffer is released.
 */
class WsmuxSessionFuzzTest {

    private static final long WINDOW = 64;
    private static final int[] IDS = {0, 2, 4, 6};
    private static final int BYSTANDER = 6;
    private static final int QUEUED = 100;

    @BeforeAll
    static void setUp() {
        FuzzSupport.beforeFuzzTests();
    }

    @FuzzTest(maxDuration = "60s")
    void frames(byte[] data) {
        EmbeddedChannel channel = new EmbeddedChannel();
        Wire wire = new Wire(data);
        Map<Integer, Sink> sinks = new HashMap<>();
        Map<Integer, WsmuxStream> streams = new HashMap<>();
        int[] malformed = {0};
        WsmuxSession session = new WsmuxSession(channel, 8, MuxKeepalive.NONE, WINDOW, new WsmuxSession.Events() {
            @Override
            public void malformed(String why) {
                malformed[0]++;
            }
        });
        try {
            channel.pipeline().addLast(session);
            for (int id : IDS) {
                WsmuxStream s = session.open(Duration.ofMinutes(5));
                assertThat(s.id()).isEqualTo(id);
                Sink sink = new Sink();
                s.open(sink);
                byte[] queued = new byte[QUEUED];
                Arrays.fill(queued, (byte) id);
                s.write(ByteBufAllocator.DEFAULT.buffer(QUEUED).writeBytes(queued));
                s.flush();
                streams.put(id, s);
                sinks.put(id, sink);
            }
            wire.drain(channel, malformed[0]);
            wire.clientSends(channel, ack(BYSTANDER, 1000));
            wire.drain(channel, malformed[0]);
            assertThat(wire.datOut(BYSTANDER)).as("bystander's queued bytes").isEqualTo(QUEUED);

            for (int at = 0; at + 2 <= data.length && channel.isOpen(); ) {
                int kind = data[at] & 0xFF;
                int length = Math.min(data[at + 1] & 0xFF, data.length - at - 2);
                byte[] bytes = Arrays.copyOfRange(data, at + 2, at + 2 + length);
                at += 2 + length;
                if (bytes.length >= WsmuxFrame.HEADER_SIZE && le32(bytes, 1) == BYSTANDER) {
                    continue;
                }
                wire.clientSends(channel, frame(kind, bytes));
                wire.drain(channel, malformed[0]);
            }
            channel.checkException();

            for (int id : IDS) {
                byte[] delivered = sinks.get(id).bytes.toByteArray();
                byte[] sent = wire.datIn(id);
                assertThat(delivered.length).as("stream %d delivered more than was sent, input %s", id, FuzzSupport.hex(data))
                        .isLessThanOrEqualTo(sent.length);
                assertThat(Arrays.copyOf(sent, delivered.length)).as("stream %d's bytes, input %s", id, FuzzSupport.hex(data))
                        .isEqualTo(delivered);
                assertThat((long) delivered.length).as("stream %d over its window, input %s", id, FuzzSupport.hex(data))
                        .isLessThanOrEqualTo(WINDOW + wire.ackOut(id));
            }
            if (channel.isOpen() && malformed[0] == 0) {
                MuxStream bystander = streams.get(BYSTANDER);
                assertThat(bystander.state()).as("bystander after %s", FuzzSupport.hex(data)).isEqualTo(MuxStream.State.OPEN);
                int before = sinks.get(BYSTANDER).bytes.size();
                byte[] hello = "still here".getBytes(StandardCharsets.US_ASCII);
                ByteBuf dat = ByteBufAllocator.DEFAULT.buffer().writeByte(WsmuxFrame.DAT).writeIntLE(BYSTANDER).writeBytes(hello);
                wire.clientSends(channel, new BinaryWebSocketFrame(dat));
                wire.drain(channel, malformed[0]);
                byte[] after = sinks.get(BYSTANDER).bytes.toByteArray();
                assertThat(Arrays.copyOfRange(after, before, after.length)).as("bystander's DAT after %s", FuzzSupport.hex(data))
                        .isEqualTo(hello);
                assertThat(sinks.get(BYSTANDER).closed).isFalse();
            }
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    private static WebSocketFrame ack(int id, long credit) {
        return new BinaryWebSocketFrame(WsmuxFrame.ack(ByteBufAllocator.DEFAULT, id, credit));
    }

    private static WebSocketFrame frame(int kind, byte[] bytes) {
        ByteBuf b = ByteBufAllocator.DEFAULT.buffer(Math.max(1, bytes.length)).writeBytes(bytes);
        if (kind == 0xFF) {
            b.release();
            return new CloseWebSocketFrame(1000, "bye");
        }
        return switch (kind % 8) {
            case 4 -> new TextWebSocketFrame(b);
            case 5 -> new PingWebSocketFrame(b);
            case 6 -> new PongWebSocketFrame(b);
            case 7 -> new ContinuationWebSocketFrame(b);
            default -> new BinaryWebSocketFrame(b);
        };
    }

    private static long le32(byte[] b, int at) {
        return (b[at] & 0xFFL) | (b[at + 1] & 0xFFL) << 8 | (b[at + 2] & 0xFFL) << 16 | (b[at + 3] & 0xFFL) << 24;
    }

    /** Both directions as the client sees them: what it sent per stream, what the server sent back. */
    private static final class Wire {
        private final byte[] input;
        private final Map<Integer, ByteArrayOutputStream> datIn = new HashMap<>();
        private final Map<Long, Long> ackIn = new HashMap<>();
        private final Map<Long, Long> datOut = new HashMap<>();
        private final Map<Long, Long> ackOut = new HashMap<>();
        private final List<String> problems = new ArrayList<>();

        Wire(byte[] input) {
            this.input = input;
        }

        /** Records what a client message means for the model, then delivers it. */
        void clientSends(EmbeddedChannel channel, WebSocketFrame frame) {
            if (frame instanceof BinaryWebSocketFrame) {
                ByteBuf c = frame.content();
                try {
                    WsmuxFrame f = WsmuxFrame.parse(c);
                    if (f.type() == WsmuxFrame.DAT) {
                        byte[] payload = ByteBufUtil.getBytes(f.payload());
                        f.payload().release();
                        datIn.computeIfAbsent(f.id(), k -> new ByteArrayOutputStream()).writeBytes(payload);
                    } else if (f.type() == WsmuxFrame.ACK) {
                        ackIn.merge(f.id() & 0xFFFF_FFFFL, f.credit(), WsmuxSessionFuzzTest::saturatingAdd);
                    }
                } catch (WsmuxFrame.Malformed ignored) {
                    // The session must close on it; checked through the 1008 the server sends.
                }
            }
            channel.writeInbound(frame);
            channel.runPendingTasks();
        }

        /** Reads everything the server sent, checking each frame. */
        void drain(EmbeddedChannel channel, int malformedSoFar) {
            for (Object out; (out = channel.readOutbound()) != null; ) {
                try {
                    check(out, malformedSoFar);
                } finally {
                    ReferenceCountUtil.release(out);
                }
            }
            assertThat(problems).as("server frames for %s", FuzzSupport.hex(input)).isEmpty();
        }

        private void check(Object out, int malformedSoFar) {
            if (out instanceof CloseWebSocketFrame close) {
                if (close.statusCode() != 1008 || malformedSoFar == 0) {
                    problems.add("close " + close.statusCode() + " without a malformed message");
                }
                return;
            }
            if (out instanceof PongWebSocketFrame) {
                return;
            }
            if (!(out instanceof BinaryWebSocketFrame frame)) {
                problems.add("sent " + out);
                return;
            }
            WsmuxFrame f;
            try {
                f = WsmuxFrame.parse(frame.content());
            } catch (WsmuxFrame.Malformed e) {
                problems.add("server sent a malformed frame: " + e.getMessage());
                return;
            }
            long id = f.id() & 0xFFFF_FFFFL;
            switch (f.type()) {
                case WsmuxFrame.DAT -> {
                    long total = datOut.merge(id, (long) f.payload().readableBytes(), Long::sum);
                    f.payload().release();
                    if (total > ackIn.getOrDefault(id, 0L)) {
                        problems.add("stream " + id + " sent " + total + " bytes on " + ackIn.getOrDefault(id, 0L) + " credit");
                    }
                }
                case WsmuxFrame.ACK -> ackOut.merge(id, f.credit(), WsmuxSessionFuzzTest::saturatingAdd);
                default -> {
                    // SYN (ours, at the start) and FIN (a refused client SYN, an overrun, an end).
                }
            }
        }

        byte[] datIn(int id) {
            ByteArrayOutputStream b = datIn.get(id);
            return b == null ? new byte[0] : b.toByteArray();
        }

        long datOut(int id) {
            return datOut.getOrDefault((long) id, 0L);
        }

        long ackOut(int id) {
            return ackOut.getOrDefault((long) id, 0L);
        }
    }

    private static long saturatingAdd(long a, long b) {
        return a > Long.MAX_VALUE - b ? Long.MAX_VALUE : a + b;
    }

    /** A splice's side of a stream: keeps a copy of what arrives and releases it at once. */
    private static final class Sink implements EndpointSink {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        boolean closed;

        @Override
        public void onData(ByteBuf data) {
            try {
                bytes.writeBytes(ByteBufUtil.getBytes(data));
            } finally {
                data.release();
            }
        }

        @Override
        public void onReadComplete() {
        }

        @Override
        public void onInputShutdown() {
        }

        @Override
        public void onWritabilityChanged(boolean writable) {
        }

        @Override
        public void onClosed(Throwable cause) {
            closed = true;
        }
    }
}
