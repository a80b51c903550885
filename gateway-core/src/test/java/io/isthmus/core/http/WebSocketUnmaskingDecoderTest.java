package io.isthmus.core.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.isthmus.core.transport.ReadBufferSlices;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link WebSocketUnmaskingDecoder} against Netty's {@code WebSocket13FrameDecoder} on the same bytes, cut
 * into the same random chunks: the same frames (type, FIN, RSV, payload) and exceptions, the same bytes
 * written back (close frames on a violation) and the same channel state, for valid traffic (whole binary
 * frames of every size class, fragments, text, pings, close) and for each kind of bad frame.
 */
class WebSocketUnmaskingDecoderTest {

    // PARANOID records a stack trace at every access of a leak-tracked buffer, i.e. at every 8 bytes Netty
    // unmasks: megabytes take minutes. SIMPLE still samples leaks.
    static ResourceLeakDetector.Level before;

    @BeforeAll
    static void lighterLeakDetection() {
        before = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.SIMPLE);
    }

    @AfterAll
    static void restore() {
        ResourceLeakDetector.setLevel(before);
    }

    private static final int MAX = 70_000;
    private static final WebSocketDecoderConfig CONFIG = WebSocketDecoderConfig.newBuilder()
            .maxFramePayloadLength(MAX).expectMaskedFrames(true).allowMaskMismatch(false)
            .closeOnProtocolViolation(true).build();

    /** One masked client frame. */
    private static byte[] frame(Random r, boolean fin, int rsv, int opcode, boolean masked, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write((fin ? 0x80 : 0) | rsv << 4 | opcode);
        int n = payload.length;
        int m = masked ? 0x80 : 0;
        if (n < 126) {
            out.write(m | n);
        } else if (n < 65536) {
            out.write(m | 126);
            out.write(n >>> 8);
            out.write(n);
        } else {
            out.write(m | 127);
            for (int i = 7; i >= 0; i--) {
                out.write((int) ((long) n >>> (8 * i)));
            }
        }
        byte[] mask = new byte[4];
        r.nextBytes(mask);
        if (masked) {
            out.write(mask, 0, 4);
        }
        for (int i = 0; i < n; i++) {
            out.write(masked ? payload[i] ^ mask[i & 3] : payload[i]);
        }
        return out.toByteArray();
    }

    private static byte[] bytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    /** What a decoder did with the input: frames and exceptions in order, bytes written, open or not. */
    private static String run(boolean ours, byte[] input, long seed) {
        return run(ours, input, seed, true);
    }

    private static String run(boolean ours, byte[] input, long seed, boolean directReads) {
        List<String> seen = new ArrayList<>();
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.pipeline().addLast(new WebSocket13FrameEncoder(false));
        ch.pipeline().addLast(ours ? new WebSocketUnmaskingDecoder(CONFIG) : new WebSocket13FrameDecoder(CONFIG));
        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                WebSocketFrame f = (WebSocketFrame) msg;
                seen.add(f.getClass().getSimpleName() + " fin=" + f.isFinalFragment() + " rsv=" + f.rsv() + " "
                        + ByteBufUtil.hexDump(f.content()));
                f.release();
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                seen.add("exception " + cause.getClass().getSimpleName() + ": " + cause.getMessage());
            }
        });
        Random cuts = new Random(seed);
        try {
            for (int at = 0; at < input.length && ch.isOpen(); ) {
                int n = Math.min(input.length - at, 1 + cuts.nextInt(cuts.nextInt(8) == 0 ? 16 : 40_000));
                ch.writeInbound((directReads ? Unpooled.directBuffer(n) : Unpooled.buffer(n)).writeBytes(input, at, n));
                at += n;
            }
            for (Object o; (o = ch.readOutbound()) != null; ) {
                seen.add("wrote " + ByteBufUtil.hexDump((ByteBuf) o));
                ReferenceCountUtil.release(o);
            }
            seen.add("open=" + ch.isOpen());
        } finally {
            ch.finishAndReleaseAll();
        }
        return String.join("\n", seen);
    }

    private static void same(byte[] input, long seed) {
        String netty = run(false, input, seed);
        assertThat(run(true, input, seed)).isEqualTo(netty);
    }

    @Test
    void validTrafficDecodesAsNettyDoes() {
        Random r = new Random(14);
        for (int round = 0; round < 12; round++) {
            ByteArrayOutputStream in = new ByteArrayOutputStream();
            for (int i = 0; i < 16; i++) {
                int kind = r.nextInt(8);
                int size = switch (r.nextInt(5)) {
                    case 0 -> r.nextInt(9);
                    case 1 -> r.nextInt(126);
                    case 2 -> 126 + r.nextInt(65_536 - 126);
                    case 3 -> 65_536 + r.nextInt(MAX - 65_536 + 1);
                    default -> 65_536;
                };
                if (kind <= 3) {
                    in.writeBytes(frame(r, true, 0, 2, true, bytes(r, size)));
                } else if (kind == 4) {
                    in.writeBytes(frame(r, false, 0, 2, true, bytes(r, size % 3000)));
                    in.writeBytes(frame(r, false, 0, 0, true, bytes(r, r.nextInt(50))));
                    in.writeBytes(frame(r, true, 0, 0, true, bytes(r, r.nextInt(50))));
                } else if (kind == 5) {
                    in.writeBytes(frame(r, true, 0, 1, true, "héllo".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                } else if (kind == 6) {
                    in.writeBytes(frame(r, true, 0, 9, true, bytes(r, r.nextInt(126))));
                } else {
                    in.writeBytes(frame(r, true, 0, 10, true, bytes(r, r.nextInt(126))));
                }
            }
            if (r.nextBoolean()) {
                in.writeBytes(frame(r, true, 0, 8, true, new byte[] {0x03, (byte) 0xe8}));
                in.writeBytes(frame(r, true, 0, 2, true, bytes(r, 10))); // after close: Netty drops it
            }
            same(in.toByteArray(), r.nextLong());
        }
    }

    @Test
    void readsIntoHeapBuffersDecodeAsNettyDoes() {
        Random r = new Random(15);
        ByteArrayOutputStream in = new ByteArrayOutputStream();
        for (int i = 0; i < 24; i++) {
            in.writeBytes(frame(r, true, 0, 2, true, bytes(r, r.nextInt(3) == 0 ? r.nextInt(9) : r.nextInt(MAX + 1))));
        }
        long seed = r.nextLong();
        assertThat(run(true, in.toByteArray(), seed, false)).isEqualTo(run(false, in.toByteArray(), seed, false));
    }

    @Test
    void aWholeBinaryFrameIsUnmaskedWhereItWasRead() {
        Random r = new Random(16);
        byte[] payload = bytes(r, 5000);
        byte[] wire = frame(r, true, 0, 2, true, payload);
        ByteBuf read = Unpooled.wrappedBuffer(wire);
        EmbeddedChannel ch = new EmbeddedChannel(new WebSocketUnmaskingDecoder(CONFIG));
        try {
            ch.writeInbound(read);
            WebSocketFrame f = ch.readInbound();
            try {
                assertThat(ByteBufUtil.getBytes(f.content())).isEqualTo(payload);
                // The payload is the read buffer's own memory, unmasked there: no copy was made.
                assertThat(f.content().hasArray()).isTrue();
                assertThat(f.content().array()).isSameAs(wire);
                assertThat(f.content().arrayOffset()).isEqualTo(wire.length - payload.length);
            } finally {
                f.release();
            }
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void payloadsOfJoinedReadsAreSlicesOfTheReadsNotOfTheJoin() {
        Random r = new Random(17);
        byte[] a = bytes(r, 3000);
        byte[] b = bytes(r, 4000);
        byte[] c = bytes(r, 2000);
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        wire.writeBytes(frame(r, true, 0, 2, true, a));
        int bStarts = wire.size();
        wire.writeBytes(frame(r, true, 0, 2, true, b));
        wire.writeBytes(frame(r, true, 0, 2, true, c));
        byte[] all = wire.toByteArray();
        int cut = bStarts + 1000; // the second frame is split between the two reads
        ByteBuf first = Unpooled.directBuffer(cut).writeBytes(all, 0, cut);
        ByteBuf second = Unpooled.directBuffer(all.length - cut).writeBytes(all, cut, all.length - cut);
        ByteBuf firstRoot = ReadBufferSlices.rootOf(first);
        ByteBuf secondRoot = ReadBufferSlices.rootOf(second);
        EmbeddedChannel ch = new EmbeddedChannel(new WebSocketUnmaskingDecoder(CONFIG));
        List<WebSocketFrame> frames = new ArrayList<>();
        try {
            ch.writeInbound(first);
            ch.writeInbound(second);
            for (WebSocketFrame f; (f = ch.readInbound()) != null; ) {
                frames.add(f);
            }
            assertThat(frames).hasSize(3);
            assertThat(ByteBufUtil.getBytes(frames.get(1).content())).isEqualTo(b);
            assertThat(ByteBufUtil.getBytes(frames.get(2).content())).isEqualTo(c);
            // The split frame joins its two parts only; the frame after it is a slice of the second read.
            ByteBuf split = ReadBufferSlices.rootOf(frames.get(1).content());
            assertThat(split).isInstanceOf(CompositeByteBuf.class);
            CompositeByteBuf parts = (CompositeByteBuf) split;
            assertThat(parts.numComponents()).isEqualTo(2);
            assertThat(ReadBufferSlices.rootOf(parts.internalComponent(0))).isSameAs(firstRoot);
            assertThat(ReadBufferSlices.rootOf(parts.internalComponent(1))).isSameAs(secondRoot);
            assertThat(ReadBufferSlices.rootOf(frames.get(2).content())).isSameAs(secondRoot);
        } finally {
            frames.forEach(WebSocketFrame::release);
            ch.finishAndReleaseAll();
        }
        assertThat(first.refCnt()).isZero();
        assertThat(second.refCnt()).isZero();
    }

    @Test
    void badFramesAreRefusedAsNettyRefusesThem() {
        Random r = new Random(41);
        byte[] ok = frame(r, true, 0, 2, true, bytes(r, 100));
        List<byte[]> bad = List.of(
                frame(r, true, 0, 2, false, bytes(r, 100)),          // unmasked
                frame(r, true, 1, 2, true, bytes(r, 100)),           // RSV without an extension
                frame(r, true, 0, 2, true, bytes(r, MAX + 1)),       // too large
                frame(r, true, 0, 0, true, bytes(r, 10)),            // continuation without a start
                frame(r, true, 0, 3, true, bytes(r, 10)),            // reserved opcode
                frame(r, false, 0, 9, true, bytes(r, 10)),           // fragmented ping
                frame(r, true, 0, 9, true, bytes(r, 126)));          // ping over 125 bytes
        for (byte[] b : bad) {
            ByteArrayOutputStream in = new ByteArrayOutputStream();
            in.writeBytes(ok);
            in.writeBytes(b);
            in.writeBytes(ok);
            same(in.toByteArray(), r.nextLong());
        }
        // A whole binary frame in the middle of a fragmented message.
        ByteArrayOutputStream in = new ByteArrayOutputStream();
        in.writeBytes(frame(r, false, 0, 2, true, bytes(r, 10)));
        in.writeBytes(ok);
        in.writeBytes(ok);
        same(in.toByteArray(), r.nextLong());
    }
}
