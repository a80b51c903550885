package io.isthmus.bare;

import java.util.Set;

/** The header lists of the Bare specification (v2 and v3; bare-and-wisp.md §A.3). */
final class HeaderLists {

    private HeaderLists() {
    }

    /** Never sent to the remote from X-Bare-Headers: the gateway frames the body itself. */
    static final Set<String> FORBIDDEN_SEND = Set.of("connection", "content-length", "transfer-encoding");

    /** Copied from the client's request by default (v3). */
    static final String[] DEFAULT_FORWARD_V3 = {"accept-encoding", "accept-language"};
    /** Copied from the client's request by default (v2). */
    static final String[] DEFAULT_FORWARD_V2 = {"accept-encoding", "accept-language", "sec-websocket-extensions",
        "sec-websocket-key", "sec-websocket-version"};
    /** Added to the forwarded list in cache mode. */
    static final String[] CACHE_FORWARD = {"if-modified-since", "if-none-match", "cache-control"};
    static final Set<String> FORBIDDEN_FORWARD = Set.of("connection", "transfer-encoding", "host", "origin", "referer");
    /** v1 skips these forward entries silently instead of refusing them. */
    static final Set<String> SKIPPED_FORWARD_V1 = Set.of("connection", "transfer-encoding", "origin", "referer");

    /** Copied from the remote's response by default. */
    static final String[] DEFAULT_PASS = {"content-encoding", "content-length", "last-modified"};
    /** Added to the passed list in cache mode (the implementation's list; the v3 text has a typo). */
    static final String[] CACHE_PASS = {"cache-control", "etag"};
    static final Set<String> FORBIDDEN_PASS = Set.of("vary", "connection", "transfer-encoding",
            "access-control-allow-headers", "access-control-allow-methods", "access-control-expose-headers",
            "access-control-max-age", "access-control-request-headers", "access-control-request-method");

    /** A comma list header (RFC 8941 style) split on {@code ,\s*}, names lower-cased. */
    static java.util.List<String> list(String value) {
        java.util.List<String> out = new java.util.ArrayList<>();
        if (value == null) {
            return out;
        }
        for (String part : value.split(",")) {
            String t = part.trim();
            if (!t.isEmpty()) {
                out.add(t.toLowerCase(java.util.Locale.ROOT));
            }
        }
        return out;
    }
}
