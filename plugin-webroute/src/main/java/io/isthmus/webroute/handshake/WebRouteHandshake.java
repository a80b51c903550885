package io.isthmus.webroute.handshake;

import io.isthmus.core.http.RequestHead;
import io.isthmus.core.metrics.ProtocolMetrics;
import io.isthmus.core.spi.Handoff;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The WebRoute request checks, in the reference server's order (protocol notes §1): the method, then
 * Host / Connection / Upgrade / ID, then the version. A refusal carries the reference's exact bytes.
 *
 * <p>Header names are matched as the reference normalises them: case-insensitively, with every
 * character other than a letter or digit counting as {@code -} (so {@code webroute_id} is the ID), and
 * the last of repeated fields wins. Plugin-remoted runs the same checks on its client requests.
 */
public final class WebRouteHandshake {

    /** The outcome of the checks: a {@link WebRouteRequest} or a {@link Refusal}. */
    public sealed interface Verdict permits WebRouteRequest, Refusal {
    }

    private WebRouteHandshake() {
    }

    public static Verdict check(RequestHead head) {
        if (!head.method().equals("GET")) {
            return new Refusal("method_not_allowed", WebRouteResponses.METHOD_NOT_ALLOWED);
        }
        Map<String, String> fields = normalisedFields(head);
        if (!fields.containsKey("host")) {
            return new Refusal("missing_host", WebRouteResponses.BAD_REQUEST);
        }
        if (!contains(fields.get("connection"), "upgrade")) {
            return new Refusal("not_an_upgrade", WebRouteResponses.BAD_REQUEST);
        }
        if (!contains(fields.get("upgrade"), "webroute")) {
            return new Refusal("not_a_webroute_upgrade", WebRouteResponses.BAD_REQUEST);
        }
        String id = fields.get("webroute-id");
        if (id == null) {
            return new Refusal("missing_id", WebRouteResponses.BAD_REQUEST);
        }
        if (!PhpNumbers.equalsOne(fields.get("webroute-version"))) {
            return new Refusal("unsupported_version", WebRouteResponses.UPGRADE_REQUIRED);
        }
        String target = head.target().isEmpty() ? "/" : head.target();
        return new WebRouteRequest(target, id, fields.get("webroute-timeout"));
    }

    /** The reference's {@code HeaderNameCleanup}, reduced to what matching needs: lower case, non-alphanumerics as '-'. */
    static String normaliseName(String name) {
        StringBuilder s = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = Character.toLowerCase(name.charAt(i));
            s.append((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c : '-');
        }
        return s.toString();
    }

    private static Map<String, String> normalisedFields(RequestHead head) {
        Map<String, String> fields = new HashMap<>();
        for (Map.Entry<String, String> field : head.headers()) {
            fields.put(normaliseName(field.getKey()), field.getValue());
        }
        return fields;
    }

    /** The reference tests Connection and Upgrade with a case-insensitive substring search, not tokens. */
    private static boolean contains(String value, String word) {
        return value != null && value.toLowerCase(Locale.ROOT).contains(word);
    }

    /**
     * The checked request, or — after sending the refusal's exact bytes, counting it and releasing the
     * bytes behind the head — nothing.
     */
    public static Optional<WebRouteRequest> checkOrRefuse(Handoff handoff, ProtocolMetrics metrics) {
        Verdict verdict = check(handoff.head());
        if (verdict instanceof Refusal refusal) {
            handoff.leftover().release();
            metrics.rejection(refusal.reason());
            refusal.sendTo(handoff.channel());
            return Optional.empty();
        }
        return Optional.of((WebRouteRequest) verdict);
    }
}
