package io.isthmus.rawsocket.wisp;

import io.isthmus.core.mux.CreditWindow;

/**
 * A Wisp UDP stream: one DATA packet is one datagram each way, and there is no credit (no CONTINUE is
 * ever sent; §B.5). Datagrams are neither merged nor split: the splice hands each one over as it came,
 * and a datagram the target cannot take while the WebSocket is backed up waits in the kernel, where UDP
 * may drop it.
 */
public final class WispUdpStream extends WispStream {

    WispUdpStream(WispSession session, int id) {
        super(session, id, CreditWindow.unbounded(CreditWindow.Unit.PACKETS), false);
    }

    @Override
    public boolean udp() {
        return true;
    }

    @Override
    public String kind() {
        return "wisp-udp";
    }

    @Override
    protected void grantCredit(long units) {
        // UDP streams have no flow control.
    }
}
