package io.isthmus.bare;

import java.util.List;
import java.util.Set;

/**
 * What a Bare request asks of the remote, read from its X-Bare-* headers.
 *
 * @param version     1, 2 or 3
 * @param secure      https or wss
 * @param host        the remote host as the client named it (IPv6 in brackets or not)
 * @param port        the remote port
 * @param target      path and query, never empty
 * @param sendHeaders header lines for the remote, names as the client capitalised them
 * @param passHeaders remote response headers copied into the real response (lower case)
 * @param passStatus  remote statuses that become the real response's status (else 200)
 */
record RemoteRequest(int version, boolean secure, String host, int port, String target,
                     List<String[]> sendHeaders, Set<String> passHeaders, Set<Integer> passStatus) {

    /** The {@code Host} of an absolute form for logs and pool keys: host and port. */
    String origin() {
        return (secure ? "https://" : "http://") + host + ":" + port;
    }
}
