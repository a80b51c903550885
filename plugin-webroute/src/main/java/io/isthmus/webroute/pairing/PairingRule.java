package io.isthmus.webroute.pairing;

import java.util.EnumSet;
import java.util.Set;

/**
 * How an arriving connection may pair.
 *
 * @param linksWith the roles of waiters it may be linked with
 * @param mayWait   whether it takes the slot when nobody suitable waits; false is the reference's
 *                  {@code linkexists} mode ("link only with an existing waiter")
 */
public record PairingRule(Set<PairingRole> linksWith, boolean mayWait) {

    /** Plain WebRoute: link with a waiting peer, else wait. */
    public static final PairingRule PEERS = new PairingRule(EnumSet.of(PairingRole.PEER), true);

    public PairingRule {
        linksWith = linksWith.isEmpty() ? EnumSet.noneOf(PairingRole.class) : EnumSet.copyOf(linksWith);
    }

    /** Link with a waiter of one of {@code roles}, or wait. */
    public static PairingRule linkOrWait(PairingRole first, PairingRole... more) {
        return new PairingRule(EnumSet.of(first, more), true);
    }

    /** Wait for someone else to claim this connection; never claim a waiter. */
    public static PairingRule waitOnly() {
        return new PairingRule(EnumSet.noneOf(PairingRole.class), true);
    }

    /** Link only with an existing waiter of one of {@code roles}; refused when there is none. */
    public static PairingRule linkExisting(PairingRole first, PairingRole... more) {
        return new PairingRule(EnumSet.of(first, more), false);
    }
}
