package io.isthmus.core.http.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.isthmus.core.fuzz.FuzzSupport;
import io.isthmus.core.fuzz.FuzzSupport.Chunked;
import io.isthmus.core.http.RequestHead;
import io.isthmus.core.http.WebSocketHandshake;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;

/**
 * Client bytes after the 101 into the frame codec that {@link WebSocketHandshake#complete} installs (Netty's
 * {@code WebSocket13FrameDecoder}: masked frames only, a 1 KiB payload limit, close on a protocol violation),
 * in an {@link EmbeddedChannel} with a handler behind it that takes every frame and every exception.
 *
 * <p>Input: a 7-byte chunk plan, then the bytes ({@link Chunked}). Properties: nothing throws out of the
 * pipeline; the only exceptions are Netty's frame-corruption ones, and after one the channel is closed; every
 * frame is within the payload limit, a control frame within 125 bytes and not fragmented; every buffer, in and
 * out, is released (the leak guard fails the class otherwise).
 */
class WebSocketFramesFuzzTest {

    private static final int MAX_PAYLOAD = 1024;

    @BeforeAll
    static void setUp() {
        FuzzSupport.beforeFuzzTests();
    }

    @FuzzTest(maxDuration = "60s")
    void frames(byte[] data) {
        Chunked input = Chunked.of(data);
        EmbeddedChannel channel = new EmbeddedChannel();
        Taker taker = new Taker();
        try {
            WebSocketHandshake.complete(channel, upgrade(), null, MAX_PAYLOAD);
            channel.pipeline().addLast(taker);
            releaseOutbound(channel);
            for (int i = 0; i < input.chunks() && channel.isOpen(); i++) {
                byte[] bytes = input.chunk(i);
                ByteBuf chunk = ByteBufAllocator.DEFAULT.buffer(Math.max(1, bytes.length));
                chunk.writeBytes(bytes);
                channel.writeInbound(chunk);
                releaseOutbound(channel);
            }
            channel.checkException();
            assertThat(taker.problems).as("frame problems for %s", FuzzSupport.hex(data)).isEmpty();
            for (Throwable t : taker.exceptions) {
                assertThat(t).as("exception for %s", FuzzSupport.hex(data))
                        .isInstanceOfAny(CorruptedFrameException.class, TooLongFrameException.class);
            }
            if (!taker.exceptions.isEmpty()) {
                assertThat(channel.isOpen()).as("open after a protocol violation").isFalse();
            }
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    private static void releaseOutbound(EmbeddedChannel channel) {
        for (Object out; (out = channel.readOutbound()) != null; ) {
            ReferenceCountUtil.release(out);
        }
    }

    private static RequestHead upgrade() {
        HttpHeaders headers = new DefaultHttpHeaders(false)
                .add("Host", "gw.example")
                .add("Connection", "Upgrade")
                .add("Upgrade", "websocket")
                .add("Sec-WebSocket-Version", "13")
                .add("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
        RequestHead head = new RequestHead("GET", "/", "HTTP/1.1", headers);
        assertThat(WebSocketHandshake.check(head)).isNull();
        return head;
    }

    /** What a plugin's handler would be: takes frames (checking and releasing them) and exceptions. */
    private static final class Taker extends ChannelInboundHandlerAdapter {
        final List<Throwable> exceptions = new ArrayList<>();
        final List<String> problems = new ArrayList<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (!(msg instanceof WebSocketFrame frame)) {
                    problems.add("not a frame: " + msg.getClass().getName());
                    return;
                }
                int length = frame.content().readableBytes();
                if (length > MAX_PAYLOAD) {
                    problems.add(frame + " is over the payload limit");
                }
                boolean control = frame instanceof CloseWebSocketFrame || frame instanceof PingWebSocketFrame
                        || frame instanceof PongWebSocketFrame;
                if (control && (length > 125 || !frame.isFinalFragment())) {
                    problems.add(frame + " is a control frame over 125 bytes or fragmented");
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            exceptions.add(cause);
        }
    }
}
