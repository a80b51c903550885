package io.isthmus.core.http;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.Locale;

/**
 * An HTTP/1.x request head as the front door read it: request line and header fields, never the body.
 *
 * @param method  the method token exactly as sent (methods are case-sensitive)
 * @param target  the request target exactly as sent, query included
 * @param version the protocol version exactly as sent, e.g. {@code HTTP/1.1}
 * @param headers the fields, names case-insensitive, in arrival order
 */
public record RequestHead(String method, String target, String version, HttpHeaders headers) {

    /** The target without its query string. */
    public String path() {
        int q = target.indexOf('?');
        String p = q < 0 ? target : target.substring(0, q);
        return p.isEmpty() ? "/" : p;
    }

    /** The query string without '?', or an empty string. */
    public String query() {
        int q = target.indexOf('?');
        return q < 0 ? "" : target.substring(q + 1);
    }

    /** The value of a header, or null. The last one wins when a name repeats. */
    public String header(String name) {
        var all = headers.getAll(name);
        return all.isEmpty() ? null : all.get(all.size() - 1);
    }

    /** Whether a comma-separated header (Connection, Upgrade) lists {@code token}, case-insensitively. */
    public boolean headerHasToken(String name, String token) {
        for (String value : headers.getAll(name)) {
            for (String part : value.split(",")) {
                if (part.trim().equalsIgnoreCase(token)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether the request asks to switch to {@code protocol} (Connection lists upgrade, Upgrade lists it). */
    public boolean isUpgradeTo(String protocol) {
        return headerHasToken("connection", "upgrade") && headerHasToken("upgrade", protocol);
    }

    /** The same head as a Netty request object, for plugins that hand it to Netty's codecs. */
    public HttpRequest toNettyRequest() {
        HttpVersion v = version.toUpperCase(Locale.ROOT).equals("HTTP/1.0") ? HttpVersion.HTTP_1_0 : HttpVersion.HTTP_1_1;
        return new DefaultHttpRequest(v, HttpMethod.valueOf(method), target, new DefaultHttpHeaders(false).set(headers));
    }
}
