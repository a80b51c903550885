package io.isthmus.webroute.pairing;

import io.isthmus.core.metrics.ProtocolMetrics;
import io.isthmus.core.splice.SpliceEngine;
import io.isthmus.core.http.PlainResponses;
import io.isthmus.core.overload.Admission;
import io.isthmus.core.spi.Handoff;
import io.isthmus.core.splice.TcpEndpoint;
import io.isthmus.webroute.handshake.Refusal;
import io.isthmus.webroute.handshake.WebRouteRequest;
import io.isthmus.webroute.handshake.WebRouteResponses;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Where a checked WebRoute connection meets its partner: it is adopted as a splice endpoint (so bytes it
 * sends early are held, never lost), then linked with a suitable waiter or parked until one comes, until
 * it leaves, or until the wait deadline sends the reference's 504.
 *
 * <p>Plugin-webroute uses it with {@link PairingRule#PEERS}; plugin-remoted parks clients and lets server
 * connect-backs claim them with {@link PairingRule#linkExisting}.
 */
public final class Rendezvous {

    private final PairingRegistry registry;
    private final WebRouteLink link;
    private final PairingMetrics metrics;
    private final Duration waitTimeout;
    private final int holdLimit;
    private volatile boolean draining;

    /**
     * @param waitTimeout how long a lone waiter waits before its 504 (the server default; a client's
     *                    {@code WebRoute-Timeout} applies only once linked, as in the reference)
     * @param holdLimit   bytes held per connection before the link; past it reading pauses and the rest
     *                    waits in the kernel, still delivered in order after the link
     */
    public Rendezvous(PairingRegistry registry, WebRouteLink link, PairingMetrics metrics, Duration waitTimeout,
                      int holdLimit) {
        this.registry = registry;
        this.link = link;
        this.metrics = metrics;
        this.waitTimeout = waitTimeout;
        this.holdLimit = holdLimit;
    }

    /**
     * The whole pairing stack of one protocol — registry, metrics, link and rendezvous — as plugin-webroute
     * and plugin-remoted both build it.
     *
     * @param waitTimeout the server default: a lone waiter's wait, and where timeout negotiation starts
     */
    public static Rendezvous create(SpliceEngine splices, ProtocolMetrics protocol, PairingLimits limits,
                                    Duration waitTimeout, Duration grace, boolean halfClose, int holdLimit) {
        PairingRegistry registry = new PairingRegistry(limits);
        PairingMetrics metrics = new PairingMetrics(protocol, registry);
        WebRouteLink link = new WebRouteLink(splices, metrics, waitTimeout, grace, halfClose);
        return new Rendezvous(registry, link, metrics, waitTimeout, holdLimit);
    }

    public PairingRegistry registry() {
        return registry;
    }

    /**
     * Adopts the connection and pairs it by {@code rule}; call on the channel's event loop. On
     * {@link Arrival.Refused} nothing was written and the caller replies and closes (the connection's
     * leftover bytes are already in its endpoint, released when the channel closes).
     */
    public Arrival admit(Handoff handoff, WebRouteRequest request, PairingRole role, PairingRule rule) {
        Channel channel = handoff.channel();
        Waiter[] self = new Waiter[1];
        channel.pipeline().addLast(WaiterWatch.NAME, new WaiterWatch(() -> ended(self[0])));
        TcpEndpoint endpoint = TcpEndpoint.adopt(channel, handoff.leftover(), holdLimit);
        Waiter waiter = new Waiter(request, role, endpoint, handoff.client());
        self[0] = waiter;
        Arrival arrival = draining ? new Arrival.Refused(Arrival.Reason.DRAINING)
                : overloaded(channel, rule) ? new Arrival.Refused(Arrival.Reason.OVERLOADED)
                : registry.arrive(waiter, rule);
        if (arrival instanceof Arrival.Matched matched) {
            matched.partner().leftWaiting();
            waiter.leftWaiting();
            link.link(matched.partner(), waiter);
        } else if (arrival instanceof Arrival.Parked parked) {
            waiter.deadline(channel.eventLoop().schedule(() -> expire(waiter), waitTimeout.toNanos(), TimeUnit.NANOSECONDS));
            if (parked.evicted() != null) {
                // The table was full and the displaced waiter's client held the most of it.
                metrics.rejected("evicted_for_fair_share");
                PlainResponses.sendAndClose(parked.evicted().channel(), HttpResponseStatus.SERVICE_UNAVAILABLE,
                        "Too many clients are waiting and yours holds the most places; try again later");
            }
        } else if (arrival instanceof Arrival.Refused refused) {
            metrics.rejected(refused.reason().label());
        }
        return arrival;
    }

    /**
     * Memory is short: a connection that could wait is new work and is refused. One that may only link with
     * a waiter already there (a Remoted server's connect-back) completes admitted work and goes on.
     */
    private boolean overloaded(Channel channel, PairingRule rule) {
        return rule.mayWait() && !Admission.admits(channel, metrics.protocol().protocol(), Admission.Work.WAIT);
    }

    /** The waiter's connection ended (closed, reset or half-closed) while it was still waiting. */
    private void ended(Waiter waiter) {
        if (waiter != null && registry.withdraw(waiter)) {
            metrics.abandoned();
            waiter.channel().close();
        }
    }

    /** Nobody came within the wait timeout: the reference's 504, then the connection closes. */
    private void expire(Waiter waiter) {
        if (registry.withdraw(waiter)) {
            metrics.timedOut();
            Refusal.sendRawAndClose(waiter.channel(), WebRouteResponses.GATEWAY_TIMEOUT);
        }
    }

    /** Takes no new waiters and sends every waiting connection a 503: the gateway is going away. */
    public void drain() {
        draining = true;
        List<Waiter> sent = registry.withdrawIf(w -> true);
        for (Waiter w : sent) {
            PlainResponses.sendAndClose(w.channel(), HttpResponseStatus.SERVICE_UNAVAILABLE, "The gateway is shutting down");
        }
    }
}
