package io.isthmus.wstunnel.wsmux;

import io.isthmus.core.mux.CreditWindow;
import io.isthmus.core.mux.MuxCloseReason;
import io.isthmus.core.mux.MuxStream;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;

/**
 * A wsmux stream: byte credit both ways, FIN as the only way to end (wsmux has no reset, so every close
 * reason becomes a FIN), half-close supported.
 */
public final class WsmuxStream extends MuxStream {

    private final WsmuxSession wsmux;
    private boolean finSent;

    /**
     * @param window      bytes the peer may send us unacknowledged
     * @param opening     true for a stream we opened (SYN sent, waiting for the ACK that sets our credit)
     * @param sendCredit  for a stream the peer opened: our credit, which is our own window (§4: the acceptor
     *                    assumes the opener's buffer is as large as its own)
     */
    WsmuxStream(WsmuxSession session, int id, long window, boolean opening, long sendCredit) {
        super(session, id, CreditWindow.batching(CreditWindow.Unit.BYTES, window, Math.max(1, window / 4)),
                CreditWindow.Unit.BYTES, opening, sendCredit);
        this.wsmux = session;
    }

    /**
     * ACKs go back per quarter window consumed (1 MiB for a 4 MiB client), not per read batch: a 10 MiB
     * response cost one ACK per 256 KiB DAT, each a send here and a wake-up of the client. The peer's own
     * window (its ACK to our SYN; a Go client assumes ours is the same) lowers the quarter for old clients
     * of 1 KiB or 4 KiB. What stays below it (at most a quarter, so the client always has three quarters of its
     * window to send) is granted before our FIN, so every consumed byte is acknowledged (§10 23).
     */
    @Override
    public void peerAccepted(long initialCredit) {
        receiveWindow().lowerGrantThreshold(initialCredit / 4);
        super.peerAccepted(initialCredit);
    }

    @Override
    public String kind() {
        return "wsmux-stream";
    }

    @Override
    public boolean supportsHalfClose() {
        return true;
    }

    @Override
    protected void sendData(ByteBuf payload) {
        wsmux.countOut(payload.readableBytes());
        session.send(wsmux.dataFrame(WsmuxFrame.data(session.parent().alloc(), id(), payload)));
    }

    @Override
    protected int maxDataPayload() {
        return wsmux.maxDataPayload();
    }

    @Override
    protected void grantCredit(long units) {
        session.send(new BinaryWebSocketFrame(WsmuxFrame.ack(session.parent().alloc(), id(), units)));
    }

    @Override
    protected void sendEnd() {
        sendFin();
    }

    @Override
    protected void sendClose(MuxCloseReason reason) {
        sendFin();
    }

    private void sendFin() {
        if (!finSent) {
            finSent = true;
            // Every consumed byte is acknowledged before the end (§10 23), also those below the threshold.
            long owed = receiveWindow().takeAll();
            if (owed > 0 && !inputEnded() && state() != State.CLOSED) {
                grantCredit(owed);
            }
            session.send(new BinaryWebSocketFrame(WsmuxFrame.fin(session.parent().alloc(), id())));
        }
    }

    @Override
    public void setReading(boolean reading) {
        if (!reading) {
            session.eventLoop().execute(wsmux::countAckStall);
        }
        super.setReading(reading);
    }

    @Override
    protected void onOverrun() {
        wsmux.countOverrun();
    }
}
