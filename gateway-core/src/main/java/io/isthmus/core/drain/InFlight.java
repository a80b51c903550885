package io.isthmus.core.drain;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Work in flight that is not a splice — a forwarded HTTP exchange — which the drain must wait for as it
 * waits for live splices: a plugin takes a {@link Ticket} when the work begins and ends it once its last
 * byte has been written out. Every accepted connection carries the gateway's instance as the channel
 * attribute {@link #KEY}; {@link #begin(Channel)} finds it, or hands out a ticket that counts nothing.
 */
public final class InFlight {

    public static final AttributeKey<InFlight> KEY = AttributeKey.valueOf("isthmus.in-flight");

    private final AtomicInteger count = new AtomicInteger();
    private volatile boolean draining;

    /** The gateway has begun its drain: keep-alive connections are closed after their reply. */
    public void drain() {
        draining = true;
    }

    /** Whether the gateway that accepted {@code channel} is draining. */
    public static boolean isDraining(Channel channel) {
        for (Channel c = channel; c != null; c = c.parent()) {
            InFlight f = c.hasAttr(KEY) ? c.attr(KEY).get() : null;
            if (f != null) {
                return f.draining;
            }
        }
        return false;
    }

    /** Work that has begun and not yet ended. */
    public int count() {
        return count.get();
    }

    public Ticket begin() {
        count.incrementAndGet();
        return new Ticket(this);
    }

    /** A ticket from the gateway that accepted {@code channel} (or its parent); one that counts nothing if none. */
    public static Ticket begin(Channel channel) {
        for (Channel c = channel; c != null; c = c.parent()) {
            InFlight f = c.hasAttr(KEY) ? c.attr(KEY).get() : null;
            if (f != null) {
                return f.begin();
            }
        }
        return new Ticket(null);
    }

    /** One piece of work; {@link #end} may be called any number of times, from any thread. */
    public static final class Ticket {
        private final InFlight owner;
        private final AtomicBoolean ended = new AtomicBoolean();

        private Ticket(InFlight owner) {
            this.owner = owner;
        }

        public void end() {
            if (owner != null && ended.compareAndSet(false, true)) {
                owner.count.decrementAndGet();
            }
        }
    }
}
