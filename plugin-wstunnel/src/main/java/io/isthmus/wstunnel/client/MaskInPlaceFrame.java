package io.isthmus.wstunnel.client;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;

/**
 * A binary message whose content nobody reads after it is written (a DAT: the wsmux header and a local
 * read), so {@link MaskingFrameEncoder} masks it where it lies instead of copying it into a new buffer.
 * Never wrap a buffer that is shared, cached or read again (a constant, a retained duplicate kept elsewhere).
 */
final class MaskInPlaceFrame extends BinaryWebSocketFrame {

    MaskInPlaceFrame(ByteBuf content) {
        super(content);
    }
}
