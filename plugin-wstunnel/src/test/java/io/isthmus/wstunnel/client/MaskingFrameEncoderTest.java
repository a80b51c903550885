package io.isthmus.wstunnel.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Frames from the client's encoder, read back by Netty's server-side decoder (which requires masking). */
class MaskingFrameEncoderTest {

    @Test
    void compositePayloadsOfEveryLengthClassRoundTrip() {
        Random random = new Random(7);
        // Lengths around each header size class, and pieces that split the mask key at every offset.
        int[] lengths = {0, 1, 5, 125, 126, 127, 1000, 65535, 65536, 70_001};
        for (int length : lengths) {
            byte[] bytes = new byte[length];
            random.nextBytes(bytes);
            CompositeByteBuf content = Unpooled.compositeBuffer();
            int at = 0;
            for (int piece = 1; at < length; piece = piece % 13 + 1) {
                int n = Math.min(piece == 13 ? 70_000 : piece, length - at);
                ByteBuf part = Unpooled.directBuffer(n);
                part.writeBytes(bytes, at, n);
                content.addComponent(true, part);
                at += n;
            }
            ByteBuf wire = encode(new BinaryWebSocketFrame(content));
            assertThat(wire.getByte(1) & 0x80).as("mask bit").isNotZero();
            WebSocketFrame back = decode(wire);
            assertThat(back).isInstanceOf(BinaryWebSocketFrame.class);
            assertThat(ByteBufUtil.getBytes(back.content())).as("length %d", length).isEqualTo(bytes);
            back.release();
        }
    }

    @Test
    void inPlaceFramesRoundTripWithAFreshKeyEach() {
        Random random = new Random(11);
        int[] lengths = {1, 125, 4096, 4097, 65_536, 70_001, 262_149};
        java.util.Set<Integer> keys = new java.util.HashSet<>();
        for (int length : lengths) {
            byte[] bytes = new byte[length];
            random.nextBytes(bytes);
            // As a DAT is built: a 5-byte header buffer and a payload, pieces of odd lengths.
            CompositeByteBuf content = Unpooled.compositeBuffer();
            int at = 0;
            for (int piece = 5; at < length; piece = piece * 7 + 3) {
                int n = Math.min(piece, length - at);
                ByteBuf part = Unpooled.directBuffer(n);
                part.writeBytes(bytes, at, n);
                content.addComponent(true, part);
                at += n;
            }
            CompositeByteBuf wire = encode(new MaskInPlaceFrame(content));
            assertThat(wire.numComponents()).as("header apart from the payload masked in place, length %d", length)
                    .isEqualTo(length > MaskingFrameEncoder.IN_PLACE_MIN ? 2 : 1);
            assertThat(wire.getByte(1) & 0x80).as("mask bit").isNotZero();
            int keyAt = length <= 125 ? 2 : length <= 0xFFFF ? 4 : 10;
            keys.add(wire.getInt(keyAt));
            WebSocketFrame back = decode(wire);
            assertThat(ByteBufUtil.getBytes(back.content())).as("length %d", length).isEqualTo(bytes);
            back.release();
        }
        assertThat(keys).as("a random key per frame").hasSizeGreaterThan(lengths.length - 2);
    }

    @Test
    void aFrameNotMarkedInPlaceLeavesItsContentAlone() {
        byte[] bytes = new byte[70_000];
        new Random(3).nextBytes(bytes);
        ByteBuf content = Unpooled.directBuffer(bytes.length).writeBytes(bytes);
        ByteBuf wire = encode(new BinaryWebSocketFrame(content.retain()));
        assertThat(ByteBufUtil.getBytes(content)).as("the sender's buffer").isEqualTo(bytes);
        content.release();
        ByteBuf readOnly = Unpooled.directBuffer(bytes.length).writeBytes(bytes);
        ByteBuf wire2 = encode(new MaskInPlaceFrame(readOnly.retain().asReadOnly()));
        assertThat(ByteBufUtil.getBytes(readOnly)).as("a read-only buffer is copied").isEqualTo(bytes);
        readOnly.release();
        for (ByteBuf w : new ByteBuf[] {wire, wire2}) {
            WebSocketFrame back = decode(w);
            assertThat(ByteBufUtil.getBytes(back.content())).isEqualTo(bytes);
            back.release();
        }
    }

    @Test
    void controlFramesKeepTheirOpcode() {
        WebSocketFrame back = decode(encode(new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1, 2, 3}))));
        assertThat(back).isInstanceOf(PingWebSocketFrame.class);
        assertThat(ByteBufUtil.getBytes(back.content())).containsExactly(1, 2, 3);
        back.release();
    }

    /** The bytes on the wire: one buffer, or a header and the payload masked in place. */
    private static CompositeByteBuf encode(WebSocketFrame frame) {
        EmbeddedChannel ch = new EmbeddedChannel(new MaskingFrameEncoder());
        assertThat(ch.writeOutbound(frame)).isTrue();
        CompositeByteBuf out = Unpooled.compositeBuffer();
        for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
            out.addComponent(true, b);
        }
        assertThat(ch.finish()).isFalse();
        return out;
    }

    private static WebSocketFrame decode(ByteBuf wire) {
        EmbeddedChannel ch = new EmbeddedChannel(new WebSocket08FrameDecoder(WebSocketDecoderConfig.newBuilder()
                .expectMaskedFrames(true).maxFramePayloadLength(1 << 20).build()));
        assertThat(ch.writeInbound(wire)).isTrue();
        WebSocketFrame frame = ch.readInbound();
        assertThat(ch.finish()).isFalse();
        return frame;
    }
}
