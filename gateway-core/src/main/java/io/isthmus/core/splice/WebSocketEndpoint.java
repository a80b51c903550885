package io.isthmus.core.splice;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
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
 * <p>The channel must already carry the WebSocket frame codec (see {@code WebSocketHandshake}).
 */
public final class WebSocketEndpoint extends ChannelEndpoint {

    private boolean closeSent;
    /** The close code the next close sends: 1000 unless the peer broke the protocol. */
    private WebSocketCloseStatus closeStatus = WebSocketCloseStatus.NORMAL_CLOSURE;

    private WebSocketEndpoint(Channel channel, int holdLimit) {
        super(channel, holdLimit);
    }

    /** Takes over a channel right after its WebSocket handshake; {@code alreadyRead} are raw frame bytes. */
    public static WebSocketEndpoint adopt(Channel channel, ByteBuf alreadyRead, int holdLimit) {
        WebSocketEndpoint endpoint = new WebSocketEndpoint(channel, holdLimit);
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
        return "websocket";
    }

    @Override
    protected ByteBuf toBytes(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof BinaryWebSocketFrame || msg instanceof ContinuationWebSocketFrame) {
            return ((WebSocketFrame) msg).content();
        }
        if (msg instanceof PingWebSocketFrame ping) {
            if (closeSent) {
                // Nothing may follow our close frame.
                ping.release();
            } else {
                ctx.writeAndFlush(new PongWebSocketFrame(ping.content()));
            }
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
        closeWith(WebSocketCloseStatus.INVALID_MESSAGE_TYPE);
        return null;
    }

    @Override
    protected Object fromBytes(ByteBuf data) {
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

    /** Closes (lingering, see {@link #close()}) with {@code status} in the close frame; on the event loop. */
    private void closeWith(WebSocketCloseStatus status) {
        if (!closing()) {
            closeStatus = status;
        }
        close();
    }

    /** The close frame; the peer's own close frame (or its FIN) then ends the lingering close. */
    @Override
    protected ChannelFuture endOutput() {
        if (closeSent) {
            return channel.newSucceededFuture();
        }
        closeSent = true;
        return channel.writeAndFlush(new CloseWebSocketFrame(closeStatus));
    }
}
