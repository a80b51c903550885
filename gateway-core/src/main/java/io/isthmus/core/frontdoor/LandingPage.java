package io.isthmus.core.frontdoor;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.isthmus.core.BuildInfo;
import io.isthmus.core.http.RequestHead;
import io.isthmus.core.spi.Route;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * What {@code GET /} answers on the public port when no plugin claims it: the version, and each enabled
 * protocol with its mount points, as HTML for a browser or JSON for {@code Accept: application/json}.
 * Built once from the route table; it names nothing secret (no keys, no IDs, no addresses).
 */
final class LandingPage {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String html;
    private final String json;

    LandingPage(List<Route> routes) {
        Map<String, TreeSet<String>> mounts = new LinkedHashMap<>();
        for (Route r : routes) {
            mounts.computeIfAbsent(r.protocol(), p -> new TreeSet<>()).add(r.pathPrefix());
        }
        this.json = json(mounts);
        this.html = html(mounts);
    }

    /** Whether this request is one the page answers: a GET or HEAD of exactly {@code /}. */
    static boolean answers(RequestHead head) {
        return head.path().equals("/") && (head.method().equals("GET") || head.method().equals("HEAD"));
    }

    boolean wantsJson(RequestHead head) {
        String accept = head.header("accept");
        return accept != null && accept.contains("application/json") && !accept.contains("text/html");
    }

    String body(RequestHead head) {
        return wantsJson(head) ? json : html;
    }

    String contentType(RequestHead head) {
        return wantsJson(head) ? "application/json" : "text/html; charset=utf-8";
    }

    private static String json(Map<String, TreeSet<String>> mounts) {
        List<Map<String, Object>> protocols = new ArrayList<>();
        mounts.forEach((name, prefixes) -> protocols.add(Map.of("name", name, "mounts", List.copyOf(prefixes))));
        Map<String, Object> page = new LinkedHashMap<>();
        page.put("name", "Isthmus");
        page.put("version", BuildInfo.version());
        page.put("protocols", protocols);
        try {
            return JSON.writeValueAsString(page) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String html(Map<String, TreeSet<String>> mounts) {
        StringBuilder rows = new StringBuilder();
        mounts.forEach((name, prefixes) -> {
            rows.append("<tr><td>").append(escape(name)).append("</td><td>");
            prefixes.forEach(prefix -> rows.append("<code>").append(escape(prefix)).append("</code> "));
            rows.append("</td></tr>\n");
        });
        return """
                <!doctype html>
                <html lang="en"><head><meta charset="utf-8"><title>Isthmus</title>
                <meta name="viewport" content="width=device-width, initial-scale=1">
                <style>body{font:16px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:40rem;padding:0 1rem}
                table{border-collapse:collapse}td,th{padding:.25rem 1rem .25rem 0;text-align:left}code{font-size:.9em}</style>
                </head><body>
                <h1>Isthmus</h1>
                <p>An edge gateway brokering connections on this port. Version %s.</p>
                <table><tr><th>protocol</th><th>mounted at</th></tr>
                %s</table>
                </body></html>
                """.formatted(escape(BuildInfo.version()), rows);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
