package io.isthmus.wstunnel.wsmux;

import io.isthmus.core.mux.MuxKeepalive;
import io.isthmus.core.mux.MuxSession;
import io.isthmus.core.mux.MuxStream;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.time.Duration;

/**
 * The server's side of one wsmux session (websocktunnel.md §4): it opens streams with even ids from 0
 * (+2, skipping ids in use, wrapping at 2^32), refuses the client's SYNs with a FIN, ignores frames for
 * unknown ids, and closes the session with 1008 on a malformed message as current Taskcluster does.
 */
public class WsmuxSession extends MuxSession {

    /** How long a client gets to answer a close frame before its TCP connection is closed. */
    static final Duration CLOSE_GRACE = Duration.ofSeconds(1);

    /** What a session reports (metrics); every method is called on the session's event loop. */
    public interface Events {
        default void bytesIn(int n) {
        }

        default void bytesOut(int n) {
        }

        default void overrun() {
        }

        default void malformed(String why) {
        }

        default void clientSyn() {
        }

        default void peerDead() {
        }

        /** A stream stopped passing data on (its viewer is slow), so its ACKs are withheld. */
        default void ackStall() {
        }

        default void closed(WsmuxSession session) {
        }

        Events NONE = new Events() {
        };
    }

    private final long window;
    private final Events events;
    private int nextId;

    /**
     * @param window bytes the client may send on a stream before we acknowledge them (the Go client assumes
     *               its own buffer size; 4 MiB covers every release)
     */
    public WsmuxSession(Channel parent, int maxStreams, MuxKeepalive keepalive, long window, Events events) {
        super(parent, maxStreams, keepalive);
        this.window = window;
        this.events = events;
    }

    /**
     * Opens a stream: SYN now, and the stream waits for the client's ACK up to {@code openTimeout}. Null when
     * the session is closed or at its stream cap. On the event loop.
     */
    public WsmuxStream open(Duration openTimeout) {
        if (isClosed() || isDraining() || streamCount() >= maxStreams()) {
            return null;
        }
        int id = nextId;
        for (int tries = 0; inUse(id); tries++) {
            if (tries > maxStreams()) {
                return null;
            }
            id += 2;
        }
        nextId = id + 2;
        WsmuxStream stream = new WsmuxStream(this, id, window, true, 0);
        if (!add(stream)) {
            return null;
        }
        send(new BinaryWebSocketFrame(WsmuxFrame.syn(parent.alloc(), id)));
        stream.awaitAccept(openTimeout);
        flush();
        return stream;
    }

    @Override
    protected void onMessage(ChannelHandlerContext ctx, WebSocketFrame message) {
        try {
            if (!(message instanceof BinaryWebSocketFrame)) {
                malformed("non-binary message");
                return;
            }
            WsmuxFrame frame;
            try {
                frame = WsmuxFrame.parse(message.content());
            } catch (WsmuxFrame.Malformed e) {
                malformed(e.getMessage());
                return;
            }
            handle(frame);
        } finally {
            message.release();
        }
    }

    private void handle(WsmuxFrame frame) {
        MuxStream stream = stream(frame.id());
        switch (frame.type()) {
            case WsmuxFrame.DAT -> {
                ByteBuf payload = frame.payload();
                events.bytesIn(payload.readableBytes());
                if (stream == null) {
                    payload.release();
                } else {
                    stream.peerData(payload);
                }
            }
            case WsmuxFrame.ACK -> {
                if (stream != null) {
                    if (stream.state() == MuxStream.State.OPENING) {
                        stream.peerAccepted(frame.credit());
                    } else {
                        stream.peerCredit(frame.credit());
                    }
                }
            }
            case WsmuxFrame.FIN -> {
                if (stream != null) {
                    stream.peerEnded();
                }
            }
            case WsmuxFrame.SYN -> {
                // A SYN for a live id is ignored (§4).
                if (stream == null) {
                    peerOpened(frame.id());
                }
            }
            default -> throw new IllegalStateException("parse admits four types");
        }
    }

    /**
     * The peer opened stream {@code id}. The server refuses with a FIN: wst-client never opens streams, and
     * the Go server's accept queue deadlocks on them (§4). A client session accepts instead.
     */
    protected void peerOpened(int id) {
        events.clientSyn();
        send(new BinaryWebSocketFrame(WsmuxFrame.fin(parent.alloc(), id)));
    }

    /** Accepts stream {@code id} the peer opened: ACK with our window, which is also our initial credit. */
    protected WsmuxStream accept(int id) {
        WsmuxStream stream = new WsmuxStream(this, id, window, false, window);
        if (!add(stream)) {
            send(new BinaryWebSocketFrame(WsmuxFrame.fin(parent.alloc(), id)));
            return null;
        }
        send(new BinaryWebSocketFrame(WsmuxFrame.ack(parent.alloc(), id, window)));
        return stream;
    }

    private void malformed(String why) {
        events.malformed(why);
        close(1008, why, CLOSE_GRACE);
    }

    /**
     * The largest DAT payload this side sends. The server keeps 64 KiB towards clients (old ones buffer
     * 1-4 KiB, and credit caps frames anyway); a client may send larger frames, since servers reassemble
     * messages of 4 MiB and more (§8).
     */
    protected int maxDataPayload() {
        return 64 * 1024;
    }

    /**
     * The WebSocket message for a DAT frame (header and payload, owned by the message). The client's
     * session marks it so that its encoder may mask the bytes where they lie.
     */
    protected WebSocketFrame dataFrame(ByteBuf frame) {
        return new BinaryWebSocketFrame(frame);
    }

    void countOut(int n) {
        events.bytesOut(n);
    }

    void countOverrun() {
        events.overrun();
    }

    void countAckStall() {
        events.ackStall();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException
                || cause instanceof io.netty.handler.codec.TooLongFrameException) {
            events.malformed("websocket");  // answered with 1009 or 1002 by the session
        }
        super.exceptionCaught(ctx, cause);
    }

    @Override
    protected void onPeerDead() {
        events.peerDead();
    }

    @Override
    protected void onClosed() {
        events.closed(this);
    }
}
