package io.isthmus.webroute.pairing;

/**
 * Who a connection is in a pairing. Plain WebRoute knows only peers; Remoted parks its clients and lets
 * only the server's connect-back claim them.
 */
public enum PairingRole {
    /** A WebRoute client: links with any other peer of the same key. */
    PEER,
    /** A Remoted client, waiting for its server to connect back. */
    CLIENT,
    /** A Remoted server's connect-back for a waiting client. */
    SERVER
}
