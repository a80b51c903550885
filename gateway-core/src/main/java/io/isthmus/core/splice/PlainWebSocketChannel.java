package io.isthmus.core.splice;

import io.isthmus.core.http.WebSocketKeepalive;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOutboundHandler;
import io.netty.channel.epoll.AbstractEpollStreamChannel;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import java.util.Map;

/**
 * Whether a WebSocket channel can carry frames whose header is written as bytes and whose payload is
 * spliced from a pipe ({@link FramedSpliceTarget}): the epoll transport with no TLS, and no outbound
 * handler but those known to pass raw bytes and file regions through untouched — the frame encoder (which
 * encodes only frame objects), the keepalive and the splice endpoint's own handler. Anything else (TLS,
 * compression, base64 text frames, an unknown handler) keeps the payload in the JVM.
 */
public final class PlainWebSocketChannel {

    private PlainWebSocketChannel() {
    }

    /** {@code channel} when it qualifies, else null. On its event loop. */
    public static Channel of(Channel channel) {
        if (!(channel instanceof AbstractEpollStreamChannel) || !channel.isActive()) {
            return null;
        }
        for (Map.Entry<String, ChannelHandler> e : channel.pipeline()) {
            ChannelHandler h = e.getValue();
            if (h instanceof ChannelOutboundHandler && !(h instanceof WebSocket13FrameEncoder)
                    && !(h instanceof WebSocketKeepalive) && !(h instanceof ChannelEndpoint.PassesRawWrites)) {
                return null;
            }
        }
        return channel;
    }
}
