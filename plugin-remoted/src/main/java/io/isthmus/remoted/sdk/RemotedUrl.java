package io.isthmus.remoted.sdk;

import io.isthmus.webroute.client.WebRouteException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A Remoted URL: {@code rws://KEY@host[:port]/path} (a server, {@code rwss} over TLS) or
 * {@code rwr://KEY@host[:port]/path} (a client, {@code rwrs} over TLS). The key is the URL-decoded user
 * name; a {@code :password} part is ignored, as by the reference SDK.
 *
 * @param pathWithQuery the path and query the registration and every connect-back use
 */
public record RemotedUrl(String scheme, String key, String host, int port, String pathWithQuery) {

    /** Parses a URL of one of {@code schemes}. */
    public static RemotedUrl parse(String url, String... schemes) throws WebRouteException {
        URI uri;
        try {
            uri = new URI(url.strip());
        } catch (URISyntaxException e) {
            throw new WebRouteException("invalid_url", "not a URL: " + url);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!java.util.Arrays.asList(schemes).contains(scheme)) {
            throw new WebRouteException("invalid_scheme", "expected " + String.join(" or ", schemes) + "://, got " + url);
        }
        String userInfo = uri.getRawUserInfo();
        String user = userInfo == null ? "" : userInfo.split(":", 2)[0];
        String key = URLDecoder.decode(user, StandardCharsets.UTF_8);
        if (key.isEmpty()) {
            throw new WebRouteException(scheme.startsWith("rws") ? "missing_server_key" : "missing_client_key",
                    "the URL carries no key (" + scheme + "://KEY@host/path)");
        }
        if (uri.getHost() == null) {
            throw new WebRouteException("invalid_url", "no host in " + scheme + "://…@HOST/path");
        }
        if (uri.getPort() > 65535) {
            throw new WebRouteException("invalid_url", "port out of range in " + scheme + "://…@host:PORT/path");
        }
        boolean tls = scheme.endsWith("s") && scheme.length() == 4;
        int port = uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80;
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
        return new RemotedUrl(scheme, key, uri.getHost(), port, path + query);
    }

    public boolean tls() {
        return scheme.equals("rwss") || scheme.equals("rwrs");
    }

    /** host[:port] as a URL writes it, IPv6 in brackets. */
    public String authority() {
        String h = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        return h + ":" + port;
    }

    /** The WebSocket URL a server registers at. */
    public URI webSocketUri() {
        return URI.create((tls() ? "wss://" : "ws://") + authority() + pathWithQuery);
    }

    /** The WebRoute URL of a connect-back or a client hop. */
    public String webRouteUrl() {
        return (tls() ? "wrs://" : "wr://") + authority() + pathWithQuery;
    }

    /** {@code Origin} as the reference server SDK sends it: the host without the port. */
    public String origin() {
        return (tls() ? "https://" : "http://") + (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host);
    }

    @Override
    public String toString() {
        // Never print the key.
        return scheme + "://…@" + authority() + pathWithQuery;
    }
}
