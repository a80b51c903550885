package io.isthmus.webroute.handshake;

/**
 * The reference server's raw replies, byte for byte (protocol notes §1 and §4). None carries a body or a
 * Content-Length: the reference clients read only the status line and headers of these.
 */
public final class WebRouteResponses {

    public static final String METHOD_NOT_ALLOWED = "HTTP/1.1 405 Method Not Allowed\r\n\r\n";
    public static final String BAD_REQUEST = "HTTP/1.1 400 Bad Request\r\n\r\n";
    public static final String UPGRADE_REQUIRED = "HTTP/1.1 426 Upgrade Required\r\nWebRoute-Version: 1\r\n\r\n";
    public static final String GATEWAY_TIMEOUT =
            "HTTP/1.1 504 Gateway Timeout\r\nWebRoute-Version: 1\r\nConnection: close\r\n\r\n";

    private WebRouteResponses() {
    }

    /** The 101 both linked sides get: 127 bytes for the 28-character accept value of any ID. */
    public static String switchingProtocols(String id) {
        return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: webroute\r\nConnection: Upgrade\r\nSec-WebRoute-Accept: "
                + WebRouteAccept.of(id) + "\r\n\r\n";
    }
}
