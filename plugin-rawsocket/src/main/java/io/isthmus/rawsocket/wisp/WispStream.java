package io.isthmus.rawsocket.wisp;

import io.isthmus.core.mux.CreditWindow;
import io.isthmus.core.mux.MuxCloseReason;
import io.isthmus.core.mux.MuxStream;
import io.netty.buffer.ByteBuf;

/**
 * A Wisp TCP stream the client opened with CONNECT, as a splice endpoint (its other side is the dialed
 * TCP connection). The client's DATA costs one packet of credit each; CONTINUE tells it how many packets it
 * may still send ({@code buffer_remaining}), at least every {@code continue-every} packets the target has
 * taken. Server-to-client DATA has no flow control in Wisp: only the WebSocket's own back-pressure.
 */
public class WispStream extends MuxStream {

    /** A TCP stream is overrun when its client has more than this many windows outstanding. */
    static final int OVERRUN_WINDOWS = 4;

    protected final WispSession wisp;
    private final boolean halfClose;

    /** A TCP stream; {@code halfClose} when it was opened through the Direct Sockets extension. */
    WispStream(WispSession session, int id, CreditWindow receive, boolean halfClose) {
        super(session, id, receive, CreditWindow.Unit.PACKETS, false, Long.MAX_VALUE);
        this.wisp = session;
        this.halfClose = halfClose;
    }

    /** The receive window of a TCP stream: {@code buffer} packets, granted back every {@code continueEvery}. */
    static CreditWindow window(WispConfig config) {
        // CONTINUE carries an absolute figure and a client (wisp-js) replaces its credit with it, forgetting the
        // packets it sent while the CONTINUE was on its way; with several CONTINUEs in flight an honest client
        // can be more than one window over. Only beyond four windows is it an overrun.
        return new CreditWindow(CreditWindow.Unit.PACKETS, config.buffer(), config.continueEvery(),
                OVERRUN_WINDOWS * (long) config.buffer() - config.buffer(), false);
    }

    public boolean udp() {
        return false;
    }

    @Override
    public String kind() {
        return "wisp-tcp";
    }

    @Override
    public boolean supportsHalfClose() {
        return halfClose;
    }

    @Override
    protected void sendData(ByteBuf payload) {
        wisp.send(WispPacket.data(wisp.parent().alloc(), id(), payload));
    }

    @Override
    protected void grantCredit(long units) {
        wisp.send(WispPacket.continuePacket(wisp.parent().alloc(), id(), receiveWindow().remaining()));
    }

    @Override
    protected void sendEnd() {
        wisp.send(DirectSocketsExtension.end(wisp.parent().alloc(), id()));
    }

    @Override
    protected void sendClose(MuxCloseReason reason) {
        wisp.send(WispPacket.close(wisp.parent().alloc(), id(), WispCloseReason.of(reason)));
    }

    @Override
    public void peerData(ByteBuf data) {
        long before = receiveWindow().remaining();
        super.peerData(data);
        if (before > 0 && receiveWindow().remaining() == 0 && state() != State.CLOSED) {
            wisp.metrics().creditStall();
        }
    }

    @Override
    protected void onOverrun() {
        wisp.metrics().ignored("credit_overrun");
    }

    @Override
    protected void onFinished(MuxCloseReason reason) {
        wisp.metrics().streamClosed(udp(), WispCloseReason.of(reason));
    }
}
