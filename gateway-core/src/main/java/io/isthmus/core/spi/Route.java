package io.isthmus.core.spi;

import java.util.Objects;

/**
 * A plain value a plugin contributes: requests whose path starts with {@code pathPrefix} and which meet
 * {@code condition} go to {@code handler}. The router compiles all routes into one immutable table at
 * start-up: the longest prefix wins, then the most specific condition; two routes with the same prefix
 * and the same condition stop start-up.
 *
 * @param protocol the contributing plugin's name (for errors and metrics)
 */
public record Route(String protocol, String pathPrefix, RouteCondition condition, ConnectionHandler handler) {

    public Route {
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(condition, "condition");
        Objects.requireNonNull(handler, "handler");
        if (pathPrefix == null || !pathPrefix.startsWith("/")) {
            throw new IllegalArgumentException("a route prefix must start with '/': " + pathPrefix);
        }
    }

    /** Whether {@code path} (no query) lies under this route's prefix; "/bare" is under "/bare/". */
    public boolean covers(String path) {
        if (path.startsWith(pathPrefix)) {
            return true;
        }
        return pathPrefix.endsWith("/") && path.length() == pathPrefix.length() - 1 && pathPrefix.startsWith(path);
    }

    @Override
    public String toString() {
        return protocol + " " + pathPrefix + " " + condition;
    }
}
