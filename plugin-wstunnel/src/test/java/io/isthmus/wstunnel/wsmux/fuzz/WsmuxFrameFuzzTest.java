package io.isthmus.wstunnel.wsmux.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.isthmus.core.fuzz.FuzzSupport;
import io.isthmus.wstunnel.wsmux.WsmuxFrame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeAll;

/**
 * One binary WebSocket message (the input, as it is) into {@link WsmuxFrame#parse}.
 *
 * <p>Properties: the only failure is {@link WsmuxFrame.Malformed}, whose text fits a close frame's reason
 * (at most 123 bytes, printable ASCII: it goes into the 1008 close); a frame that parses is one of the four
 * types, and building it again with {@code data/syn/ack/fin} gives back exactly the input (the decoder and
 * the encoder agree); the message's reader index is left alone; every buffer is released.
 */
class WsmuxFrameFuzzTest {

    @BeforeAll
    static void setUp() {
        FuzzSupport.beforeFuzzTests();
    }

    @FuzzTest(maxDuration = "60s")
    void parse(byte[] data) {
        ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
        ByteBuf message = alloc.buffer(Math.max(1, data.length)).writeBytes(data);
        try {
            WsmuxFrame frame;
            try {
                frame = WsmuxFrame.parse(message);
            } catch (WsmuxFrame.Malformed e) {
                byte[] reason = e.getMessage().getBytes(StandardCharsets.UTF_8);
                assertThat(reason.length).as("close reason for %s", FuzzSupport.hex(data)).isBetween(1, 123);
                assertThat(e.getMessage()).matches("[\\x20-\\x7e]+");
                return;
            }
            assertThat(message.readerIndex()).isZero();
            ByteBuf again = switch (frame.type()) {
                case WsmuxFrame.DAT -> WsmuxFrame.data(alloc, frame.id(), frame.payload());
                case WsmuxFrame.SYN -> WsmuxFrame.syn(alloc, frame.id());
                case WsmuxFrame.ACK -> WsmuxFrame.ack(alloc, frame.id(), frame.credit());
                case WsmuxFrame.FIN -> WsmuxFrame.fin(alloc, frame.id());
                default -> throw new AssertionError("type " + frame.type() + " for " + FuzzSupport.hex(data));
            };
            try {
                assertThat(ByteBufUtil.getBytes(again)).as("re-encoded %s", FuzzSupport.hex(data)).isEqualTo(data);
            } finally {
                again.release();
            }
            if (frame.type() != WsmuxFrame.DAT) {
                assertThat(frame.payload()).isNull();
            }
            if (frame.type() == WsmuxFrame.ACK) {
                assertThat(frame.credit()).isBetween(0L, 0xFFFF_FFFFL);
            }
        } finally {
            message.release();
        }
    }
}
