package io.isthmus.webroute.pairing;

import java.util.Objects;

/**
 * What two connections must share to be linked: the request target with its query, and the
 * {@code WebRoute-ID} (the reference's {@code path + ":" + id}, kept as two fields so that no ID can
 * forge another path). The same ID under another query string is another key.
 */
public record PairingKey(String pathWithQuery, String id) {

    public PairingKey {
        Objects.requireNonNull(pathWithQuery, "pathWithQuery");
        Objects.requireNonNull(id, "id");
    }

    /** The target's path without the query, e.g. for Remoted's per-path server registry. */
    public String path() {
        int q = pathWithQuery.indexOf('?');
        return q < 0 ? pathWithQuery : pathWithQuery.substring(0, q);
    }

    @Override
    public String toString() {
        // IDs are pairing secrets: never print one whole.
        return pathWithQuery + " id#" + Integer.toHexString(id.hashCode());
    }
}
