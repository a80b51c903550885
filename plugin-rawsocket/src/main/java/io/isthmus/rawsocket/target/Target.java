package io.isthmus.rawsocket.target;

import io.isthmus.core.egress.EgressPolicy;
import io.isthmus.core.egress.EgressTarget;

/**
 * Where one bridge connection goes, and under which policy it is dialed.
 *
 * @param source how it was chosen ({@code token}, {@code jwt}, {@code fixed}, {@code client}, {@code demo});
 *               a client-chosen target is the only kind that may carry socket options
 */
public record Target(EgressTarget address, EgressPolicy policy, String source) {

    public boolean clientChosen() {
        return source.equals("client");
    }
}
