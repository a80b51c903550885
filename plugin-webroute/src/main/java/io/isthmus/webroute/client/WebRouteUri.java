package io.isthmus.webroute.client;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * One {@code wr://} or {@code wrs://} URL: {@code wr} is WebRoute over plain HTTP (port 80 by default),
 * {@code wrs} over TLS (port 443), as the reference client maps them to http and https.
 *
 * @param pathWithQuery the request target, {@code /} when the URL has no path
 * @param hostHeader    the Host header: the host, with the port when the URL names one
 */
public record WebRouteUri(boolean tls, String host, int port, String pathWithQuery, String hostHeader) {

    /** Whether {@code url} starts with a WebRoute scheme (any case). */
    public static boolean isWebRoute(String url) {
        String lower = url.toLowerCase(Locale.ROOT);
        return lower.startsWith("wr://") || lower.startsWith("wrs://");
    }

    public static WebRouteUri parse(String url) throws WebRouteException {
        if (!isWebRoute(url)) {
            throw new WebRouteException("protocol_check", "not a wr:// or wrs:// URL: " + url);
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new WebRouteException("protocol_check", "malformed URL: " + e.getMessage());
        }
        if (uri.getHost() == null) {
            throw new WebRouteException("protocol_check", "no host in " + url);
        }
        if (uri.getPort() > 65535) {
            throw new WebRouteException("protocol_check", "port out of range in " + url);
        }
        boolean tls = uri.getScheme().equalsIgnoreCase("wrs");
        int port = uri.getPort() < 0 ? (tls ? 443 : 80) : uri.getPort();
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        String target = uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
        String host = uri.getHost();
        String hostHeader = uri.getPort() < 0 ? host : host + ":" + uri.getPort();
        // URI keeps IPv6 literals in brackets; a socket wants them bare.
        String connectHost = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        return new WebRouteUri(tls, connectHost, port, target, hostHeader);
    }
}
