package io.isthmus.webroute;

import io.isthmus.core.http.PlainResponses;
import io.isthmus.core.metrics.ProtocolMetrics;
import io.isthmus.core.spi.ConnectionHandler;
import io.isthmus.core.spi.Handoff;
import io.isthmus.webroute.handshake.AccessRule;
import io.isthmus.webroute.handshake.WebRouteHandshake;
import io.isthmus.webroute.pairing.Arrival;
import io.isthmus.webroute.pairing.PairingRole;
import io.isthmus.webroute.pairing.PairingRule;
import io.isthmus.webroute.pairing.Rendezvous;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * A WebRoute connection from the front door: the reference's checks, the optional access rule, then the
 * rendezvous, which links it or lets it wait. Refusals close the connection after their reply.
 */
final class WebRouteHandler implements ConnectionHandler {

    private final Rendezvous rendezvous;
    private final AccessRule access;
    private final ProtocolMetrics metrics;

    WebRouteHandler(Rendezvous rendezvous, AccessRule access, ProtocolMetrics metrics) {
        this.rendezvous = rendezvous;
        this.access = access;
        this.metrics = metrics;
    }

    @Override
    public void handle(Handoff handoff) {
        metrics.connectionOpened();
        handoff.channel().closeFuture().addListener(f -> metrics.connectionClosed());
        var request = WebRouteHandshake.checkOrRefuse(handoff, metrics);
        if (request.isEmpty()) {
            return;
        }
        if (!access.permits(handoff.head())) {
            handoff.leftover().release();
            metrics.rejection("access_denied");
            PlainResponses.sendAndClose(handoff.channel(), HttpResponseStatus.FORBIDDEN, "Forbidden");
            return;
        }
        Arrival arrival = rendezvous.admit(handoff, request.get(), PairingRole.PEER, PairingRule.PEERS);
        if (arrival instanceof Arrival.Refused refused) {
            PlainResponses.sendAndClose(handoff.channel(), HttpResponseStatus.SERVICE_UNAVAILABLE, busyText(refused.reason()));
        }
    }

    private static String busyText(Arrival.Reason reason) {
        return switch (reason) {
            case WAITING_FULL -> "Too many WebRoute clients are waiting; try again later";
            case WAITING_FULL_FOR_ADDRESS -> "Too many WebRoute clients from your address are waiting; try again later";
            case DRAINING -> "The gateway is shutting down";
            case OVERLOADED -> "The gateway is short of memory; try again later";
            default -> "WebRoute is unavailable";
        };
    }
}
