package io.isthmus.rawsocket.bridge;

import io.isthmus.core.http.RequestHead;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which pages may open the bridge: websockify's ExpectOrigin, made the default. A request without
 * {@code Origin} is not from a browser page and passes; a page of the gateway's own origin (its host,
 * port included, equals {@code Host}) passes; other pages pass only when listed, or when the list holds "*".
 */
public final class OriginRule {

    private final boolean any;
    private final Set<String> allowed;

    public OriginRule(List<String> allowedOrigins) {
        this.any = allowedOrigins.contains("*");
        this.allowed = allowedOrigins.stream().map(OriginRule::normalise).collect(Collectors.toUnmodifiableSet());
    }

    public boolean permits(RequestHead head) {
        String origin = head.header("origin");
        if (origin == null || any) {
            return true;
        }
        String o = normalise(origin);
        if (allowed.contains(o)) {
            return true;
        }
        String host = head.header("host");
        if (host == null) {
            return false;
        }
        try {
            URI uri = URI.create(o);
            String authority = uri.getRawAuthority();
            return authority != null && authority.equalsIgnoreCase(host.trim());
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static String normalise(String origin) {
        String o = origin.trim().toLowerCase(Locale.ROOT);
        return o.endsWith("/") ? o.substring(0, o.length() - 1) : o;
    }
}
