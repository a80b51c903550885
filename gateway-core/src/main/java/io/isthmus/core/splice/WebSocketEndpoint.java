package io.isthmus.core.splice;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
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
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;

/**
 * A WebSocket whose binary messages are the stream: each inbound binary (or continuation) frame's payload
 * is passed on as bytes, each outbound chunk becomes one binary frame. Pings are answered; a close frame
 * ends the input. A text frame has no place in a byte stream and closes the socket with 1003.
 *
 * <p>With {@link Settings#messages()} each message is one unit (a datagram of a UDP flow): held messages
 * stay apart and empty messages are passed on. Otherwise empty messages are dropped: Emscripten and
 * websockify 0.10 send and accept them, and they mean nothing in a byte stream.
 *
 * <p>Adopted with {@link #adoptMessages}, it relays messages instead: every data frame, text included, is
 * passed on as {@link WebSocketMessageBytes} (its kind and fragment flag kept), held frames keep their
 * boundaries, and outbound {@link WebSocketMessageBytes} go out as the same kind of frame — so two such
 * endpoints spliced together relay a WebSocket message for message (a WebSocket proxy).
 *
 * <p>Closing is the endpoint's lingering close (see {@link ChannelEndpoint}) and follows RFC 6455 §7.1:
 * what is queued goes first, then a Close frame, and the TCP connection ends when the peer's Close (or
 * its FIN) comes back or the linger bound passes (so browsers see {@code wasClean}). A Close from the peer
 * is answered with its own status code.
 *
 * <p>The channel must already carry the WebSocket frame codec (see {@code WebSocketHandshake}).
 */
public final class WebSocketEndpoint extends ChannelEndpoint implements FramedSpliceTarget {

    /** The largest binary frame a spliced payload makes: as large as one read of the copy path. */
    private static final int MAX_SPLICED_PAYLOAD = 256 * 1024;
    /** RFC 6455 §5.5: a control frame's payload is at most 125 bytes, two of them the status code. */
    private static final int MAX_REASON_BYTES = 123;

    private final Settings settings;
    /** Relays frames with their kind (see {@link #adoptMessages}) rather than binary payloads as bytes. */
    private final boolean frames;
    /** Set on the event loop; read by writers, which must not put frames behind the Close. */
    private volatile boolean closeSent;
    /** The status code of the peer's Close, -1 while none came, 1005 for a Close without one. */
    private volatile int closeReceived = -1;
    /** What our Close will say: 1000 and the settings' end reason unless a refusal or violation said otherwise. */
    private volatile int closeCode = WebSocketCloseStatus.NORMAL_CLOSURE.code();
    private volatile String closeReason;

    /**
     * @param messages     keep message boundaries (see the class comment)
     * @param closeTimeout how long to wait for the peer's Close after sending ours (the linger bound of
     *                     this endpoint's close); zero keeps the splice engine's bound
     * @param endReason    the reason text of the 1000 sent when the other side of the splice ended, e.g.
     *                     websockify's "Target closed"; empty for none
     */
    public record Settings(boolean messages, Duration closeTimeout, String endReason) {

        public Settings {
            Objects.requireNonNull(closeTimeout, "closeTimeout");
            Objects.requireNonNull(endReason, "endReason");
            if (closeTimeout.isNegative()) {
                throw new IllegalArgumentException("close timeout must not be negative");
            }
        }

        /** A byte stream with the splice engine's close bounds. */
        public static Settings stream() {
            return new Settings(false, Duration.ZERO, "");
        }
    }

    private WebSocketEndpoint(Channel channel, int holdLimit, Settings settings, boolean frames) {
        super(channel, holdLimit, settings.messages());
        this.settings = settings;
        this.frames = frames;
        this.closeReason = settings.endReason();
    }

    /** Takes over a channel right after its WebSocket handshake; {@code alreadyRead} are raw frame bytes. */
    public static WebSocketEndpoint adopt(Channel channel, ByteBuf alreadyRead, int holdLimit) {
        return adopt(channel, alreadyRead, holdLimit, Settings.stream());
    }

    /**
     * As {@link #adopt(Channel, ByteBuf, int)}, with {@code settings}. Handlers a plugin wants between the
     * frame codec and the endpoint (a text-frame codec, a filter of the first message) are added before.
     */
    public static WebSocketEndpoint adopt(Channel channel, ByteBuf alreadyRead, int holdLimit, Settings settings) {
        return adopt(channel, alreadyRead, holdLimit, settings, false);
    }

    /**
     * Takes over a channel whose messages are relayed as messages (text stays text). The channel must carry
     * the frame codec; {@code alreadyRead} (may be null) are raw frame bytes read behind the handshake, run
     * through the decoder. Call on the channel's event loop.
     */
    public static WebSocketEndpoint adoptMessages(Channel channel, ByteBuf alreadyRead, int holdLimit) {
        return adopt(channel, alreadyRead, holdLimit, new Settings(true, Duration.ZERO, ""), true);
    }

    private static WebSocketEndpoint adopt(Channel channel, ByteBuf alreadyRead, int holdLimit, Settings settings,
            boolean frames) {
        WebSocketEndpoint endpoint = new WebSocketEndpoint(channel, holdLimit, settings, frames);
        if (!settings.closeTimeout().isZero()) {
            endpoint.lingerAtMost(settings.closeTimeout());
        }
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
        return frames ? "websocket-messages" : "websocket";
    }

    @Override
    protected ByteBuf toBytes(ChannelHandlerContext ctx, Object msg) {
        if (frames && msg instanceof WebSocketFrame frame) {
            WebSocketMessageBytes data = WebSocketMessageBytes.of(frame);
            if (data != null) {
                return data;
            }
        }
        if (msg instanceof BinaryWebSocketFrame || msg instanceof ContinuationWebSocketFrame) {
            ByteBuf content = ((WebSocketFrame) msg).content();
            if (!settings.messages() && !content.isReadable()) {
                content.release();
                return null;
            }
            return content;
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
            int code = close.content().readableBytes() >= 2 ? close.statusCode() : WebSocketCloseStatus.EMPTY.code();
            close.release();
            if (closeReceived < 0) {
                closeReceived = code;
            }
            inputEnded();
            return null;
        }
        if (msg instanceof PongWebSocketFrame) {
            ReferenceCountUtil.release(msg);
            return null;
        }
        ReferenceCountUtil.release(msg);
        // websockify's words for the refusal of a text frame in a byte stream.
        closeWith(WebSocketCloseStatus.INVALID_MESSAGE_TYPE.code(), "Unsupported: Text frames are not supported");
        return null;
    }

    @Override
    protected Object fromBytes(ByteBuf data) {
        if (frames && data instanceof WebSocketMessageBytes message) {
            return message.toFrame();
        }
        return new BinaryWebSocketFrame(data);
    }

    /** Nothing may follow a Close frame (RFC 6455 §5.5.1): later bytes are dropped. */
    @Override
    public void write(ByteBuf data) {
        if (closeSent) {
            data.release();
            return;
        }
        super.write(data);
    }

    @Override
    public void write(ByteBuf data, java.util.function.IntConsumer delivered) {
        if (closeSent) {
            data.release();
            return;
        }
        super.write(data, delivered);
    }

    @Override
    public boolean supportsHalfClose() {
        return false;
    }

    /** A byte stream of binary frames on a plain connection: a payload may come from a pipe (websockify downloads). */
    @Override
    public Channel splicedFrameChannel() {
        return frames || settings.messages() || closeSent || closing() ? null : PlainWebSocketChannel.of(channel);
    }

    @Override
    public boolean takesSplicedFrames() {
        return !closeSent && !closing() && channel.isActive();
    }

    @Override
    public int maxSplicedPayload() {
        return MAX_SPLICED_PAYLOAD;
    }

    @Override
    public void writeSplicedFrame(io.netty.channel.FileRegion payload, int length) {
        ByteBuf header = channel.alloc().ioBuffer(io.isthmus.core.http.WebSocketFrameHeader.MAX_LENGTH);
        io.isthmus.core.http.WebSocketFrameHeader.writeBinary(header, length);
        channel.write(header, channel.voidPromise());
        channel.write(payload, channel.voidPromise());
    }

    @Override
    public void shutdownOutput() {
        close();
    }

    /**
     * Closes (lingering, see {@link #close()}) with {@code code} and {@code reason} (cut to what a control
     * frame holds) in the Close frame, unless a close already began. For refusals after the handshake (a
     * target that cannot be reached: websockify's 1011) and protocol violations.
     */
    public void closeWith(int code, String reason) {
        if (!closing()) {
            closeCode = code;
            closeReason = reason;
        }
        close();
    }

    /**
     * An idle timeout still says why (1001 "Idle timeout"), best effort: the splice aborts both sides at an
     * idle timeout, so the frame is written now, ahead of that close, without waiting for a reply.
     */
    @Override
    public void spliceEnding(String outcome, Throwable cause) {
        if (!"idle".equals(outcome)) {
            return;
        }
        Runnable sayWhy = () -> {
            if (!closeSent && channel.isActive()) {
                closeSent = true;
                channel.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE.code(), "Idle timeout"))
                        .addListener(io.netty.channel.ChannelFutureListener.CLOSE);
            }
        };
        if (eventLoop().inEventLoop()) {
            sayWhy.run();
        } else {
            eventLoop().execute(sayWhy);
        }
    }

    /** The Close frame: the peer's own code echoed if it closed first; the peer's Close (or FIN) then ends the linger. */
    @Override
    protected ChannelFuture endOutput() {
        if (closeSent) {
            return channel.newSucceededFuture();
        }
        closeSent = true;
        CloseWebSocketFrame frame;
        if (closeReceived >= 0) {
            int echo = echoable(closeReceived);
            frame = echo < 0 ? new CloseWebSocketFrame(true, 0) : new CloseWebSocketFrame(echo, "");
        } else {
            frame = new CloseWebSocketFrame(closeCode, fit(closeReason));
        }
        return channel.writeAndFlush(frame);
    }

    /** 1005 (no status), 1006 and 1015 describe a Close; they must never be sent in one (RFC 6455 §7.4.1). */
    private static int echoable(int code) {
        return code == 1005 || code == 1006 || code == 1015 ? -1 : code;
    }

    /** The longest prefix of {@code reason} whose UTF-8 fits a Close frame, never cutting a character. */
    static String fit(String reason) {
        if (ByteBufUtil.utf8Bytes(reason) <= MAX_REASON_BYTES) {
            return reason;
        }
        int end = reason.length();
        while (end > 0 && reason.substring(0, end).getBytes(StandardCharsets.UTF_8).length > MAX_REASON_BYTES) {
            end--;
            if (Character.isLowSurrogate(reason.charAt(end)) && end > 0) {
                end--;
            }
        }
        return reason.substring(0, end);
    }
}
