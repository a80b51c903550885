package io.isthmus.rawsocket.bridge;

import io.isthmus.core.http.RequestHead;

/**
 * The subprotocol rule of rawsocket-browser.md §1.2, with websockify's whitespace quirk fixed: tokens are
 * trimmed; {@code binary} is selected when offered (Emscripten, old clients); else {@code base64} when
 * offered and enabled (data as base64 text frames); else no header at all when nothing was offered (noVNC,
 * a plain {@code new WebSocket(url)}); anything else alone is refused, as websockify refuses it with 400.
 */
public enum Subprotocol {
    /** Binary frames; the 101 names {@code binary}. */
    BINARY("binary"),
    /** Binary frames; the client offered nothing, so the 101 names nothing. */
    NONE(null),
    /** Base64 text frames; the 101 names {@code base64}. */
    BASE64("base64");

    private final String token;

    Subprotocol(String token) {
        this.token = token;
    }

    /** The value of the 101's {@code Sec-WebSocket-Protocol}, or null for none. */
    public String token() {
        return token;
    }

    /** The selection for {@code head}, or null when nothing acceptable was offered. */
    public static Subprotocol select(RequestHead head, boolean base64Enabled) {
        var values = head.headers().getAll("sec-websocket-protocol");
        boolean offered = false;
        boolean base64 = false;
        for (String value : values) {
            for (String part : value.split(",")) {
                String t = part.trim();
                if (t.isEmpty()) {
                    continue;
                }
                offered = true;
                if (t.equals("binary")) {
                    return BINARY;
                }
                base64 |= t.equals("base64");
            }
        }
        if (base64 && base64Enabled) {
            return BASE64;
        }
        return offered ? null : NONE;
    }
}
