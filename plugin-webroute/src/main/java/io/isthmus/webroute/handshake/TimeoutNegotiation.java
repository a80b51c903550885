package io.isthmus.webroute.handshake;

import java.time.Duration;

/**
 * The idle timeout of a linked pair (protocol notes §4): each side's {@code WebRoute-Timeout} counts only
 * when it is numeric and above the server default, then the pair gets the smaller of the two. So a
 * client can only lengthen its own idle time, never shorten the peer's below the server default.
 */
public final class TimeoutNegotiation {

    // Far beyond any real idle time, and well inside what a Netty timer can schedule in nanoseconds.
    private static final long MAX_SECONDS = Duration.ofDays(365).toSeconds();

    private TimeoutNegotiation() {
    }

    /** One side's timeout from its header value (null when absent). */
    public static Duration forSide(Duration serverDefault, String header) {
        if (!PhpNumbers.isNumeric(header)) {
            return serverDefault;
        }
        long seconds = Math.min(PhpNumbers.toLong(header), MAX_SECONDS);
        Duration asked = Duration.ofSeconds(seconds);
        return asked.compareTo(serverDefault) > 0 ? asked : serverDefault;
    }

    /** The idle timeout both linked sides get. */
    public static Duration negotiate(Duration serverDefault, String headerA, String headerB) {
        Duration a = forSide(serverDefault, headerA);
        Duration b = forSide(serverDefault, headerB);
        return a.compareTo(b) <= 0 ? a : b;
    }
}
