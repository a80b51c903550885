package io.isthmus.core.overload;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;

/**
 * Whether the gateway takes new work now. A plugin asks at the one point where it admits a new link, wait,
 * stream or request, and on {@code false} answers with its protocol's own "busy" error; the refusal is
 * already counted ({@code isthmus_overload_refusals_total}). Work already admitted is never asked about
 * again, so live links carry on. The answer is a volatile read of a state sampled on a timer.
 *
 * <p>Every connection the public listener accepts carries the gateway's admission as the channel attribute
 * {@link #KEY}; {@link #of(Channel)} finds it (also on the parent of a child channel), or admits everything
 * when there is none (a handler under test without a gateway).
 */
public interface Admission {

    AttributeKey<Admission> KEY = AttributeKey.valueOf("isthmus.admission");

    /** Admits everything; what a channel without a gateway gets. */
    Admission OPEN = (protocol, work) -> true;

    /**
     * @param protocol the asking plugin's name (the metric's {@code protocol} label)
     * @return true to go on; false to refuse with the protocol's "busy" error (already counted)
     */
    boolean admit(String protocol, Work work);

    /** The admission of the gateway that accepted {@code channel}, or {@link #OPEN}. */
    static Admission of(Channel channel) {
        for (Channel c = channel; c != null; c = c.parent()) {
            Admission a = c.hasAttr(KEY) ? c.attr(KEY).get() : null;
            if (a != null) {
                return a;
            }
        }
        return OPEN;
    }

    /** Shorthand for {@code of(channel).admit(protocol, work)}. */
    static boolean admits(Channel channel, String protocol, Work work) {
        return of(channel).admit(protocol, work);
    }

    /** What kind of new work is asked for; the metric's {@code work} label. */
    enum Work {
        /** A connection that parks until its partner comes (WebRoute, Remoted clients). */
        WAIT,
        /** A new linked pair or dialed connection (a bridge, a legacy tunnel). */
        LINK,
        /** A new stream on a multiplexed WebSocket (wsmux viewer, Wisp CONNECT). */
        STREAM,
        /** A forwarded HTTP request (Bare). */
        REQUEST,
        /** A WebSocket upgrade that would hold a long-lived socket (registrations, tunnels, sessions). */
        WEBSOCKET;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
