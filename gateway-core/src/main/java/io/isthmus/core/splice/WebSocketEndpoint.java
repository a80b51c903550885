package io.isthmus.core.splice;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * A WebSocket whose binary messages are the stream: each inbound binary (or continuation) frame's payload
 * is passed on as bytes, each outbound chunk becomes one binary frame. Pings are answered; a close frame
 * ends the input. A text frame has no place in a byte stream and closes the socket with 1003.
 *
 * <p>Adopted with {@link #adoptMessages}, it relays messages instead: every data frame, text included, is
 * passed on as {@link WebSocketMessageBytes} (its kind and fragment flag kept), held frames keep their
 * boundaries, and outbound {@link WebSocketMessageBytes} go out as the same kind of frame — so two such
 * endpoints spliced together relay a WebSocket message for message (a WebSocket proxy).
 *
 * <p>The channel must already carry the WebSocket frame codec (see {@code WebSocketHandshake}).
 */
public final class WebSocketEndpoint extends ChannelEndpoint {

    private boolean closeSent;
    private final boolean messages;

    private WebSocketEndpoint(Channel channel, int holdLimit, boolean messages) {
        super(channel, holdLimit);
        this.messages = messages;
    }

    /** Takes over a channel right after its WebSocket handshake; {@code alreadyRead} are raw frame bytes. */
    public static WebSocketEndpoint adopt(Channel channel, ByteBuf alreadyRead, int holdLimit) {
        return adopt(channel, alreadyRead, holdLimit, false);
    }

    /**
     * Takes over a channel whose messages are relayed as messages (text stays text). The channel must carry
     * the frame codec; {@code alreadyRead} (may be null) are raw frame bytes read behind the handshake, run
     * through the decoder. Call on the channel's event loop.
     */
    public static WebSocketEndpoint adoptMessages(Channel channel, ByteBuf alreadyRead, int holdLimit) {
        return adopt(channel, alreadyRead, holdLimit, true);
    }

    private static WebSocketEndpoint adopt(Channel channel, ByteBuf alreadyRead, int holdLimit, boolean messages) {
        WebSocketEndpoint endpoint = new WebSocketEndpoint(channel, holdLimit, messages);
        endpoint.install(null);
        if (alreadyRead != null) {
            // Raw bytes behind the handshake are frames: run them through the decoder at the pipeline's head.
            channel.pipeline().fireChannelRead(alreadyRead);
            channel.pipeline().fireChannelReadComplete();
        }
        return endpoint;
    }

    @Override
    public String kind() {
        return messages ? "websocket-messages" : "websocket";
    }

    @Override
    protected boolean holdsMessages() {
        return messages;
    }

    @Override
    protected ByteBuf toBytes(ChannelHandlerContext ctx, Object msg) {
        if (messages && msg instanceof WebSocketFrame frame) {
            WebSocketMessageBytes data = WebSocketMessageBytes.of(frame);
            if (data != null) {
                return data;
            }
        }
        if (msg instanceof BinaryWebSocketFrame || msg instanceof ContinuationWebSocketFrame) {
            return ((WebSocketFrame) msg).content();
        }
        if (msg instanceof PingWebSocketFrame ping) {
            ctx.writeAndFlush(new PongWebSocketFrame(ping.content()));
            return null;
        }
        if (msg instanceof CloseWebSocketFrame close) {
            close.release();
            inputEnded();
            return null;
        }
        if (msg instanceof PongWebSocketFrame) {
            ReferenceCountUtil.release(msg);
            return null;
        }
        ReferenceCountUtil.release(msg);
        sendClose(WebSocketCloseStatus.INVALID_MESSAGE_TYPE);
        return null;
    }

    @Override
    protected Object fromBytes(ByteBuf data) {
        if (messages && data instanceof WebSocketMessageBytes message) {
            return message.toFrame();
        }
        return new BinaryWebSocketFrame(data);
    }

    @Override
    public boolean supportsHalfClose() {
        return false;
    }

    @Override
    public void shutdownOutput() {
        close();
    }

    @Override
    public void close() {
        if (eventLoop().inEventLoop()) {
            sendClose(WebSocketCloseStatus.NORMAL_CLOSURE);
        } else {
            eventLoop().execute(() -> sendClose(WebSocketCloseStatus.NORMAL_CLOSURE));
        }
    }

    private void sendClose(WebSocketCloseStatus status) {
        if (closeSent || !channel.isActive()) {
            channel.close();
            return;
        }
        closeSent = true;
        channel.writeAndFlush(new CloseWebSocketFrame(status)).addListener(ChannelFutureListener.CLOSE);
    }
}
