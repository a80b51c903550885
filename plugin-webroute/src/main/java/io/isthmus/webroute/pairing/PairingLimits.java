package io.isthmus.webroute.pairing;

/**
 * Caps on waiting connections, so that parked sockets cannot exhaust memory or file descriptors.
 *
 * @param maxWaiting      waiting connections in all
 * @param maxWaitingPerIp waiting connections from one client address
 */
public record PairingLimits(int maxWaiting, int maxWaitingPerIp) {

    public PairingLimits {
        if (maxWaiting < 1 || maxWaitingPerIp < 1) {
            throw new IllegalArgumentException("waiting caps must be at least 1");
        }
    }
}
