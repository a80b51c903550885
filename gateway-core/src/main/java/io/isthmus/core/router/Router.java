package io.isthmus.core.router;

import io.isthmus.core.http.RequestHead;
import io.isthmus.core.spi.Route;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The immutable route table, compiled once at start-up from every enabled plugin's routes: the longest
 * path prefix wins, then the most specific condition. Two routes with the same prefix and the same
 * condition are ambiguous and stop start-up, naming both.
 */
public final class Router {

    private final List<Route> ordered;

    public Router(List<Route> routes) {
        List<Route> sorted = new ArrayList<>(routes);
        sorted.sort(Comparator.comparingInt((Route r) -> r.pathPrefix().length()).reversed()
                .thenComparing(Comparator.comparingInt((Route r) -> r.condition().specificity()).reversed()));
        for (int i = 0; i < sorted.size(); i++) {
            for (int j = i + 1; j < sorted.size(); j++) {
                Route x = sorted.get(i);
                Route y = sorted.get(j);
                if (x.pathPrefix().equals(y.pathPrefix()) && x.condition().equals(y.condition())) {
                    throw new AmbiguousRoutesException(x, y);
                }
            }
        }
        this.ordered = List.copyOf(sorted);
    }

    /** The route for a request head, if any. */
    public Optional<Route> route(RequestHead head) {
        String path = head.path();
        for (Route r : ordered) {
            if (r.covers(path) && r.condition().matches(head)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    public List<Route> routes() {
        return ordered;
    }

    /** Two plugins claim the same requests. */
    public static final class AmbiguousRoutesException extends IllegalStateException {
        AmbiguousRoutesException(Route x, Route y) {
            super("ambiguous routes: " + x + " and " + y + " both claim prefix " + x.pathPrefix() + " " + x.condition());
        }
    }
}
