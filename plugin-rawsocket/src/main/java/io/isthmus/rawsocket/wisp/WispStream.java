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

    protected final WispSession wisp;
    private final boolean halfClose;

    /** A TCP stream; {@code halfClose} when it was opened through the Direct Sockets extension. */
    WispStream(WispSession session, int id, CreditWindow receive, boolean halfClose) {
        super(session, id, receive, CreditWindow.Unit.PACKETS, false, Long.MAX_VALUE);
        this.wisp = session;
        this.halfClose = halfClose;
    }

    /**
     * The receive window of a TCP stream: {@code buffer} packets; CONTINUE replaces the client's credit, and
     * is sent once at least {@code continue-every} packets can be given back.
     */
    static CreditWindow window(WispConfig config) {
        return CreditWindow.replacing(CreditWindow.Unit.PACKETS, config.buffer(), config.continueEvery());
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

    /** A TCP stream's DATA may carry a payload spliced in the kernel: Wisp gives server-to-client data no credit. */
    @Override
    protected int splicedDataHeaderLength() {
        return udp() ? 0 : WispPacket.HEADER;
    }

    @Override
    protected void writeSplicedDataHeader(ByteBuf out) {
        out.writeByte(WispPacket.DATA).writeIntLE(id());
    }

    @Override
    protected void sendData(ByteBuf payload) {
        wisp.send(WispPacket.data(wisp.parent().alloc(), id(), payload));
    }

    @Override
    protected void grantCredit(long units) {
        wisp.send(WispPacket.continuePacket(wisp.parent().alloc(), id(), units));
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
