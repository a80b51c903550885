package io.isthmus.bare;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.isthmus.core.http.RequestHead;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Reads the X-Bare-* headers of v1, v2 and v3 requests into a {@link RemoteRequest} (bare-and-wisp.md §A.3-A.5). */
final class BareRequests {

    static final ObjectMapper JSON = new ObjectMapper();

    private BareRequests() {
    }

    /** v3: {@code X-Bare-URL} and {@code X-Bare-Headers}; {@code websocket} allows ws: and wss: URLs. */
    static RemoteRequest v3(RequestHead head) {
        boolean cache = cacheMode(head);
        String url = head.header("x-bare-url");
        if (url == null) {
            throw BareError.missing("x-bare-url").failure();
        }
        String json = SplitHeaders.join(head);
        if (json == null) {
            throw BareError.missing("x-bare-headers").failure();
        }
        List<String[]> send = bareHeaders(json);
        forward(head, send, forwardList(head, HeaderLists.DEFAULT_FORWARD_V3, cache));
        requireOneHost(send, "request.headers.x-bare-headers");
        Url u = parseUrl(url, "request.headers.x-bare-url");
        if (!u.scheme().equals("http") && !u.scheme().equals("https")) {
            throw BareError.invalid("request.headers.x-bare-url", "Unsupported protocol: '" + u.scheme() + ":'").failure();
        }
        return new RemoteRequest(3, u.scheme().equals("https"), u.host(), u.port(), u.target(), send,
                passList(head, cache), passStatus(head, cache));
    }

    /** v2: host, port, protocol and path in four headers; {@code websocket} wants ws: or wss:. */
    static RemoteRequest v2(RequestHead head, boolean websocket) {
        boolean cache = cacheMode(head);
        Legacy remote = legacy(head, websocket);
        String json = SplitHeaders.join(head);
        if (json == null) {
            throw BareError.missing("x-bare-headers").failure();
        }
        List<String[]> send = bareHeaders(json);
        forward(head, send, forwardList(head, HeaderLists.DEFAULT_FORWARD_V2, cache));
        requireOneHost(send, "request.headers.x-bare-headers");
        return new RemoteRequest(2, remote.secure, remote.host, remote.port, remote.path, send,
                passList(head, cache), passStatus(head, cache));
    }

    /** v1: the four headers, X-Bare-Headers (never split) and a required JSON array X-Bare-Forward-Headers. */
    static RemoteRequest v1(RequestHead head, boolean websocket) {
        Legacy remote = legacy(head, websocket);
        String json = head.header("x-bare-headers");
        if (json == null) {
            throw BareError.missing("x-bare-headers").failure();
        }
        List<String[]> send = bareHeaders(json);
        String forwardJson = head.header("x-bare-forward-headers");
        if (forwardJson == null) {
            throw BareError.missing("x-bare-forward-headers").failure();
        }
        List<String> forward = new ArrayList<>();
        try {
            JsonNode array = JSON.readTree(forwardJson);
            if (array == null || !array.isArray()) {
                throw new IllegalArgumentException("not an array");
            }
            for (JsonNode item : array) {
                String name = item.asText().toLowerCase(Locale.ROOT);
                if (!HeaderLists.SKIPPED_FORWARD_V1.contains(name)) {
                    forward.add(name);
                }
            }
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw BareError.invalid("request.headers.x-bare-forward-headers", "Header contained invalid JSON.").failure();
        }
        forward(head, send, forward);
        requireOneHost(send, "request.headers.x-bare-headers");
        return new RemoteRequest(1, remote.secure, remote.host, remote.port, remote.path, send,
                Set.of("content-encoding", "content-length"), Set.of());
    }

    private record Legacy(boolean secure, String host, int port, String path) {
    }

    private static Legacy legacy(RequestHead head, boolean websocket) {
        String host = required(head, "x-bare-host");
        String port = required(head, "x-bare-port");
        String protocol = required(head, "x-bare-protocol");
        String path = required(head, "x-bare-path");
        int p = parseIntPrefix(port);
        if (p < 0 || p > 65535) {
            throw BareError.invalid("request.headers.x-bare-port", "Header was not a valid integer.").failure();
        }
        if (host.isEmpty()) {
            throw BareError.invalid("request.headers.x-bare-host", "Header was invalid").failure();
        }
        boolean secure;
        switch (protocol) {
            case "http:", "ws:" -> secure = false;
            case "https:", "wss:" -> secure = true;
            default -> throw BareError.invalid("request.headers.x-bare-protocol", "Header was invalid").failure();
        }
        if (websocket != protocol.startsWith("ws")) {
            throw BareError.invalid("request.headers.x-bare-protocol", "Unsupported protocol: '" + protocol + "'").failure();
        }
        if (!path.startsWith("/")) {
            throw BareError.invalid("request.headers.x-bare-path", "Header was invalid").failure();
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c <= ' ' || c >= 0x7f) {
                // The path goes into the request line as it is: no spaces or controls.
                throw BareError.invalid("request.headers.x-bare-path", "Header was invalid").failure();
            }
        }
        return new Legacy(secure, host, p, path);
    }

    /** JavaScript's parseInt on a port: leading digits, anything after them ignored; -1 when none. */
    private static int parseIntPrefix(String value) {
        String t = value.trim();
        int end = 0;
        while (end < t.length() && end < 6 && Character.isDigit(t.charAt(end))) {
            end++;
        }
        return end == 0 ? -1 : Integer.parseInt(t.substring(0, end));
    }

    private static String required(RequestHead head, String name) {
        String v = head.header(name);
        if (v == null) {
            throw BareError.missing(name).failure();
        }
        return v;
    }

    static boolean cacheMode(RequestHead head) {
        for (String param : head.query().split("&")) {
            int eq = param.indexOf('=');
            if ((eq < 0 ? param : param.substring(0, eq)).equals("cache")) {
                return true;
            }
        }
        return false;
    }

    /** An absolute URL's parts; the host as written (IPv6 in brackets), judged later by the egress policy. */
    record Url(String scheme, String host, int port, String target) {
    }

    /**
     * Parses an absolute URL. {@link URI} refuses hosts that WHATWG parsers accept (numeric forms such as
     * {@code 127.1} or {@code 2130706433}); those are read from the authority by hand, so that the egress
     * policy, not the parser, judges them.
     */
    static Url parseUrl(String url, String id) {
        try {
            URI uri = new URI(url.trim());
            String scheme = uri.getScheme();
            String authority = uri.getRawAuthority();
            if (scheme == null || authority == null || authority.isEmpty()) {
                throw new URISyntaxException(url, "no scheme or host");
            }
            scheme = scheme.toLowerCase(Locale.ROOT);
            String host = uri.getHost();
            int port = uri.getPort();
            if (host == null) {
                String hostPort = authority.substring(authority.lastIndexOf('@') + 1);
                int colon = hostPort.lastIndexOf(':');
                if (colon > 0 && hostPort.indexOf(']') < colon) {
                    port = Integer.parseInt(hostPort.substring(colon + 1));
                    hostPort = hostPort.substring(0, colon);
                }
                host = hostPort;
            }
            if (!host.chars().allMatch(c -> c < 0x80)) {
                // A browser's URL parser sends an international name as punycode; so do we (v3's Host line
                // carries it, and a header value beyond Latin-1 cannot be written).
                host = java.net.IDN.toASCII(host, java.net.IDN.ALLOW_UNASSIGNED);
            }
            if (host.isEmpty() || port == 0 || port > 65535) {
                throw new URISyntaxException(url, "bad host or port");
            }
            boolean secure = scheme.equals("https") || scheme.equals("wss");
            if (port < 0) {
                port = secure ? 443 : 80;
            }
            // java.net.URI lets non-ASCII characters through; a browser's URL parser sends them as UTF-8
            // percent escapes, and the request line must not carry them raw.
            URI ascii = new URI(uri.toASCIIString());
            String path = ascii.getRawPath() == null || ascii.getRawPath().isEmpty() ? "/" : ascii.getRawPath();
            String target = ascii.getRawQuery() == null ? path : path + "?" + ascii.getRawQuery();
            return new Url(scheme, host, port, target);
        } catch (URISyntaxException | IllegalArgumentException e) {
            // IllegalArgumentException: a port that is not a number, a name IDN cannot convert.
            throw BareError.invalid(id, "Invalid URL").failure();
        }
    }

    /** X-Bare-Headers: a JSON object of strings or string arrays; connection framing headers dropped. */
    static List<String[]> bareHeaders(String json) {
        JsonNode object;
        try {
            object = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw BareError.invalid("request.headers.x-bare-headers", "Header contained invalid JSON.").failure();
        }
        if (object == null || !object.isObject()) {
            throw BareError.invalid("request.headers.x-bare-headers", "Header contained invalid JSON.").failure();
        }
        List<String[]> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String name = field.getKey();
            String id = "bare.headers." + printable(name.toLowerCase(Locale.ROOT));
            JsonNode value = field.getValue();
            List<String> values = new ArrayList<>();
            if (value.isTextual()) {
                values.add(value.asText());
            } else if (value.isArray()) {
                for (JsonNode item : value) {
                    if (!item.isTextual()) {
                        throw BareError.invalid(id, "Header was not a String.").failure();
                    }
                    values.add(item.asText());
                }
            } else {
                throw BareError.invalid(id, "Header was not a String.").failure();
            }
            if (!isToken(name)) {
                throw BareError.invalid(id, "Header name is not a token.").failure();
            }
            if (HeaderLists.FORBIDDEN_SEND.contains(name.toLowerCase(Locale.ROOT))) {
                continue;
            }
            for (String v : values) {
                checkValue(v, id);
                out.add(new String[] {name, v});
            }
        }
        return out;
    }

    /**
     * A header name as it may stand in an error id: characters outside visible ASCII (a CR or LF in a
     * name that is not a token, found by BareRequestFuzzTest) as %XX of their UTF-8 bytes, so that the id
     * stays one printable line wherever it is shown or logged.
     */
    static String printable(String name) {
        StringBuilder out = new StringBuilder(name.length());
        for (byte b : name.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            if (b > 0x20 && b < 0x7f && b != '%') {
                out.append((char) b);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
                        .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
            }
        }
        return out.toString();
    }

    /**
     * A WebSocket connect's header object (v1 meta, v3 connect message), read leniently: a name that is not
     * a token or is in {@code skipped} is dropped; each value (or each of an array's) is checked as {@code id}.
     */
    static List<String[]> jsonHeaders(JsonNode headers, Set<String> skipped, String id) {
        List<String[]> lines = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = headers.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (!isToken(f.getKey()) || skipped.contains(f.getKey().toLowerCase(Locale.ROOT))) {
                continue;
            }
            List<JsonNode> values = new ArrayList<>();
            if (f.getValue().isArray()) {
                f.getValue().forEach(values::add);
            } else {
                values.add(f.getValue());
            }
            for (JsonNode v : values) {
                String value = v.asText();
                checkValue(value, id);
                lines.add(new String[] {f.getKey(), value});
            }
        }
        return lines;
    }

    /** A WebSocket connect's list of header names to forward, lower-cased, those in {@code skipped} dropped. */
    static List<String> jsonForwardNames(JsonNode names, Set<String> skipped) {
        List<String> forward = new ArrayList<>();
        names.forEach(n -> {
            String name = n.asText().toLowerCase(Locale.ROOT);
            if (!skipped.contains(name)) {
                forward.add(name);
            }
        });
        return forward;
    }

    private static List<String> forwardList(RequestHead head, String[] defaults, boolean cache) {
        List<String> names = new ArrayList<>(List.of(defaults));
        if (cache) {
            names.addAll(List.of(HeaderLists.CACHE_FORWARD));
        }
        for (String name : HeaderLists.list(joined(head, "x-bare-forward-headers"))) {
            if (HeaderLists.FORBIDDEN_FORWARD.contains(name)) {
                throw BareError.forbidden("request.headers.x-bare-forward-headers", "A forbidden header was forwarded.").failure();
            }
            names.add(name);
        }
        return names;
    }

    /** Copies each named header of the client's request, replacing one of the same name. */
    static void forward(RequestHead head, List<String[]> send, List<String> names) {
        for (String name : names) {
            List<String> values = head.headers().getAll(name);
            if (values.isEmpty()) {
                continue;
            }
            send.removeIf(h -> h[0].equalsIgnoreCase(name));
            for (String v : values) {
                send.add(new String[] {name, v});
            }
        }
    }

    private static Set<String> passList(RequestHead head, boolean cache) {
        Set<String> names = new LinkedHashSet<>(List.of(HeaderLists.DEFAULT_PASS));
        if (cache) {
            names.addAll(List.of(HeaderLists.CACHE_PASS));
        }
        for (String name : HeaderLists.list(joined(head, "x-bare-pass-headers"))) {
            if (HeaderLists.FORBIDDEN_PASS.contains(name)) {
                throw BareError.forbidden("request.headers.x-bare-pass-headers", "A forbidden header was passed.").failure();
            }
            names.add(name);
        }
        return names;
    }

    private static Set<Integer> passStatus(RequestHead head, boolean cache) {
        Set<Integer> codes = new LinkedHashSet<>();
        if (cache) {
            codes.add(304);
        }
        for (String item : HeaderLists.list(joined(head, "x-bare-pass-status"))) {
            try {
                codes.add(Integer.parseInt(item));
            } catch (NumberFormatException e) {
                throw BareError.invalid("request.headers.x-bare-pass-status", "Array contained non-number value.").failure();
            }
        }
        return codes;
    }

    /** A repeated list header, comma-joined as Node joins it. */
    private static String joined(RequestHead head, String name) {
        List<String> all = head.headers().getAll(name);
        return all.isEmpty() ? null : String.join(", ", all);
    }

    static boolean isToken(String name) {
        if (name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = c > 32 && c < 127 && "\"(),/:;<=>?@[\\]{}".indexOf(c) < 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** Two Host lines make a request the remote must refuse (RFC 9112 §3.2); a client's header list may not ask for that. */
    static void requireOneHost(List<String[]> lines, String id) {
        if (lines.stream().filter(l -> l[0].equalsIgnoreCase("host")).count() > 1) {
            throw BareError.invalid(id, "Header contained more than one Host.").failure();
        }
    }

    /** A header value must not break the head: no CR, LF or NUL, nothing beyond Latin-1. */
    static void checkValue(String value, String id) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\r' || c == '\n' || c == 0 || c > 255) {
                throw BareError.invalid(id, "Header value contains a forbidden character.").failure();
            }
        }
    }
}
