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
    void controlFramesKeepTheirOpcode() {
        WebSocketFrame back = decode(encode(new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1, 2, 3}))));
        assertThat(back).isInstanceOf(PingWebSocketFrame.class);
        assertThat(ByteBufUtil.getBytes(back.content())).containsExactly(1, 2, 3);
        back.release();
    }

    private static ByteBuf encode(WebSocketFrame frame) {
        EmbeddedChannel ch = new EmbeddedChannel(new MaskingFrameEncoder());
        assertThat(ch.writeOutbound(frame)).isTrue();
        ByteBuf out = ch.readOutbound();
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
