package io.isthmus.webroute.pairing;

import io.isthmus.core.splice.TcpEndpoint;
import io.isthmus.webroute.handshake.WebRouteRequest;
import io.netty.channel.Channel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.Future;

/**
 * A connection that passed the handshake and was adopted as a splice endpoint (holding what it sends),
 * on its way to a link: it arrives at the {@link PairingRegistry}, perhaps waits there, and is linked or
 * leaves.
 */
public final class Waiter {

    private final WebRouteRequest request;
    private final PairingRole role;
    private final TcpEndpoint endpoint;
    private final InetSocketAddress client;
    private final long arrivedNanos = System.nanoTime();
    private volatile Future<?> deadline;

    public Waiter(WebRouteRequest request, PairingRole role, TcpEndpoint endpoint, InetSocketAddress client) {
        this.request = request;
        this.role = role;
        this.endpoint = endpoint;
        this.client = client;
    }

    public PairingKey key() {
        return request.key();
    }

    public WebRouteRequest request() {
        return request;
    }

    public PairingRole role() {
        return role;
    }

    public TcpEndpoint endpoint() {
        return endpoint;
    }

    public Channel channel() {
        return endpoint.channel();
    }

    /** The client's address as the gateway sees it (Remoted reports it to the server). */
    public InetSocketAddress client() {
        return client;
    }

    /** The address that per-client caps count against. */
    InetAddress clientAddress() {
        return client == null ? null : client.getAddress();
    }

    /** Nanoseconds since the connection arrived. */
    public long waitedNanos() {
        return System.nanoTime() - arrivedNanos;
    }

    /** Still worth linking: open, and it has not ended its output. */
    public boolean isAlive() {
        return channel().isActive() && !endpoint.endedWhileHeld();
    }

    /** The wait deadline's timer, cancelled when the waiter is linked or leaves. */
    void deadline(Future<?> timer) {
        this.deadline = timer;
    }

    void cancelDeadline() {
        Future<?> timer = deadline;
        if (timer != null) {
            timer.cancel(false);
            deadline = null;
        }
    }

    /**
     * Out of the registry for good (claimed for a link): the wait deadline and the {@link WaiterWatch} have
     * no job left. Dropping the watch (on the channel's loop) also lets this waiter, its request and its
     * cancelled timer be collected while the link lives: about 1 KiB of heap per linked pair.
     */
    void leftWaiting() {
        cancelDeadline();
        Channel channel = channel();
        if (channel.eventLoop().inEventLoop()) {
            WaiterWatch.removeFrom(channel);
        } else {
            channel.eventLoop().execute(() -> WaiterWatch.removeFrom(channel));
        }
    }

    @Override
    public String toString() {
        return role + " " + key() + " from " + client;
    }
}
