package io.isthmus.core.spi;

import io.isthmus.core.http.RequestHead;
import java.util.Locale;

/**
 * A cheap test on a request head that refines a path prefix: an {@code Upgrade} token, a header that
 * must be present, or both. More parts make a more specific condition.
 *
 * @param upgradeToken token that must appear in {@code Upgrade} (case-insensitive), or null
 * @param header       header that must be present (case-insensitive name), or null
 */
public record RouteCondition(String upgradeToken, String header) {

    private static final RouteCondition ANY = new RouteCondition(null, null);

    public RouteCondition {
        upgradeToken = upgradeToken == null ? null : upgradeToken.toLowerCase(Locale.ROOT);
        header = header == null ? null : header.toLowerCase(Locale.ROOT);
    }

    public static RouteCondition any() {
        return ANY;
    }

    public static RouteCondition upgrade(String token) {
        return new RouteCondition(token, null);
    }

    public static RouteCondition header(String name) {
        return new RouteCondition(null, name);
    }

    public RouteCondition andHeader(String name) {
        return new RouteCondition(upgradeToken, name);
    }

    public boolean matches(RequestHead head) {
        if (upgradeToken != null && !head.headerHasToken("upgrade", upgradeToken)) {
            return false;
        }
        return header == null || head.headers().contains(header);
    }

    /** How many parts the condition has; the router prefers the higher. */
    public int specificity() {
        return (upgradeToken == null ? 0 : 1) + (header == null ? 0 : 1);
    }

    @Override
    public String toString() {
        if (specificity() == 0) {
            return "(any)";
        }
        StringBuilder s = new StringBuilder("(");
        if (upgradeToken != null) {
            s.append("Upgrade: ").append(upgradeToken);
        }
        if (header != null) {
            s.append(upgradeToken != null ? ", " : "").append("header ").append(header);
        }
        return s.append(')').toString();
    }
}
