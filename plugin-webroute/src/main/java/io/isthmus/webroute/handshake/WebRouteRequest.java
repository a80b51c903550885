package io.isthmus.webroute.handshake;

import io.isthmus.webroute.pairing.PairingKey;

/**
 * A request that passed the WebRoute checks.
 *
 * @param pathWithQuery the request target as sent, query included ({@code /} when empty)
 * @param id            the {@code WebRoute-ID} value, possibly empty (empty IDs pair with each other)
 * @param timeout       the {@code WebRoute-Timeout} value as sent, or null; see {@link TimeoutNegotiation}
 */
public record WebRouteRequest(String pathWithQuery, String id, String timeout) implements WebRouteHandshake.Verdict {

    /** What two requests must share to be linked. */
    public PairingKey key() {
        return new PairingKey(pathWithQuery, id);
    }
}
