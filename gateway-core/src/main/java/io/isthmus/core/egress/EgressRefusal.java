package io.isthmus.core.egress;

import java.util.Locale;
import java.util.Objects;

/**
 * Why an outbound connection was not made, as a value: plugins turn it into their protocol's own error
 * (a Bare error body, a Wisp close reason, a websockify close) and metrics count it by {@link Reason}.
 * The message is for the client and the log; it names what the client asked for, never what a name
 * resolved to, so the gateway does not become a probe of internal DNS.
 */
public record EgressRefusal(Reason reason, String message) {

    /** Few and fixed, so they can be a metric label. */
    public enum Reason {
        /** The host is neither a valid IP address nor a valid DNS name, or the port is out of range. */
        INVALID_TARGET,
        /** Port 0, a denied port, or not an allowed one. */
        DENIED_PORT,
        /** The name is refused before resolution (localhost, *.local, deny-hosts...). */
        DENIED_NAME,
        /** The address, or one the name resolved to, is in the operator's deny-cidrs. */
        DENIED_ADDRESS,
        /** The address, or one the name resolved to, is not public unicast and no allow rule lets it through. */
        NON_PUBLIC_ADDRESS,
        /** The name could not be resolved (no such name, DNS timeout). */
        RESOLUTION_FAILED,
        /** The name resolved to no address. */
        NO_ADDRESS;

        /** The metric label: the name in lower case, e.g. {@code non_public_address}. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public EgressRefusal {
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(message, "message");
    }

    @Override
    public String toString() {
        return reason.label() + ": " + message;
    }
}
