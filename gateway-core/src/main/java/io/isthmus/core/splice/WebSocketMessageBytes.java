package io.isthmus.core.splice;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.WrappedByteBuf;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;

/**
 * The payload of one WebSocket data frame that remembers what kind of frame it came in (text, binary or
 * a continuation, and whether it ended its message), so that a splice between two message-preserving
 * {@link WebSocketEndpoint}s relays text as text and fragments as fragments. To everything else it is the
 * payload's bytes: counting, holding and writing to a byte stream are unchanged. It owns the payload;
 * releasing it releases the payload.
 */
public final class WebSocketMessageBytes extends WrappedByteBuf {

    /** The frame kinds that carry message data. */
    public enum Kind { TEXT, BINARY, CONTINUATION }

    private final Kind kind;
    private final boolean finalFragment;

    private WebSocketMessageBytes(ByteBuf payload, Kind kind, boolean finalFragment) {
        super(payload);
        this.kind = kind;
        this.finalFragment = finalFragment;
    }

    /** Takes over a data frame's payload; null for a control frame (which the caller keeps). */
    static WebSocketMessageBytes of(WebSocketFrame frame) {
        Kind kind = frame instanceof TextWebSocketFrame ? Kind.TEXT
                : frame instanceof BinaryWebSocketFrame ? Kind.BINARY
                : frame instanceof ContinuationWebSocketFrame ? Kind.CONTINUATION : null;
        return kind == null ? null : new WebSocketMessageBytes(frame.content(), kind, frame.isFinalFragment());
    }

    public Kind kind() {
        return kind;
    }

    public boolean isFinalFragment() {
        return finalFragment;
    }

    /** The frame to send: the same kind and fragment flag around the same payload (ownership moves to it). */
    WebSocketFrame toFrame() {
        ByteBuf payload = unwrap();
        return switch (kind) {
            case TEXT -> new TextWebSocketFrame(finalFragment, 0, payload);
            case BINARY -> new BinaryWebSocketFrame(finalFragment, 0, payload);
            case CONTINUATION -> new ContinuationWebSocketFrame(finalFragment, 0, payload);
        };
    }
}
