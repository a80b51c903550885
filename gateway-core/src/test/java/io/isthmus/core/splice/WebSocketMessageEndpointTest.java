package io.isthmus.core.splice;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A message-preserving WebSocket endpoint keeps each frame's kind, FIN and boundary, held or not. */
class WebSocketMessageEndpointTest {

    /** Records what the endpoint delivers. */
    private static final class Recorder implements EndpointSink {
        final List<ByteBuf> data = new ArrayList<>();

        @Override
        public void onData(ByteBuf d) {
            data.add(d);
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
        }
    }

    @Test
    void heldFramesKeepTheirKindAndBoundaries() {
        EmbeddedChannel ch = new EmbeddedChannel();
        WebSocketEndpoint endpoint = WebSocketEndpoint.adoptMessages(ch, null, 1 << 20);
        ch.writeInbound(new TextWebSocketFrame(false, 0, "hel"));
        ch.writeInbound(new ContinuationWebSocketFrame(true, 0, "lo"));
        ch.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1, 2})));
        ch.writeInbound(new TextWebSocketFrame(""));
        Recorder sink = new Recorder();
        endpoint.open(sink);
        ch.runPendingTasks();
        assertThat(sink.data).hasSize(4);
        List<String> seen = new ArrayList<>();
        for (ByteBuf b : sink.data) {
            WebSocketMessageBytes m = (WebSocketMessageBytes) b;
            seen.add(m.kind() + "/" + m.isFinalFragment() + "/" + m.toString(StandardCharsets.UTF_8).length());
        }
        assertThat(seen).containsExactly("TEXT/false/3", "CONTINUATION/true/2", "BINARY/true/2", "TEXT/true/0");
        // Written back, each becomes the same kind of frame.
        for (ByteBuf b : sink.data) {
            endpoint.write(b);
        }
        endpoint.flush();
        List<String> out = new ArrayList<>();
        for (Object o = ch.readOutbound(); o != null; o = ch.readOutbound()) {
            WebSocketFrame f = (WebSocketFrame) o;
            out.add(f.getClass().getSimpleName() + "/" + f.isFinalFragment());
            f.release();
        }
        assertThat(out).containsExactly("TextWebSocketFrame/false", "ContinuationWebSocketFrame/true",
                "BinaryWebSocketFrame/true", "TextWebSocketFrame/true");
        ch.finishAndReleaseAll();
    }

    @Test
    void byteModeStillRefusesText() {
        EmbeddedChannel ch = new EmbeddedChannel();
        WebSocketEndpoint endpoint = WebSocketEndpoint.adopt(ch, null, 1 << 20);
        Recorder sink = new Recorder();
        endpoint.open(sink);
        ch.writeInbound(new TextWebSocketFrame("text"));
        assertThat(sink.data).isEmpty();
        // The lingering close flushes first (an empty write), then sends its close frame.
        Object close = ch.readOutbound();
        while (close != null && !(close instanceof io.netty.handler.codec.http.websocketx.CloseWebSocketFrame)) {
            io.netty.util.ReferenceCountUtil.release(close);
            close = ch.readOutbound();
        }
        assertThat(close).isInstanceOf(io.netty.handler.codec.http.websocketx.CloseWebSocketFrame.class);
        assertThat(((io.netty.handler.codec.http.websocketx.CloseWebSocketFrame) close).statusCode()).isEqualTo(1003);
        ((WebSocketFrame) close).release();
        ch.finishAndReleaseAll();
    }
}
