package io.isthmus.core.frontdoor;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code for=} nodes of an RFC 7239 {@code Forwarded} header, one per forwarded-element, left to
 * right. An element without {@code for} yields {@code "unknown"} (that hop did not say who its client
 * was). A value that breaks the grammar (an unterminated quoted string, a pair without {@code =}) makes
 * the whole header {@code null}: nothing in it is believed.
 */
final class ForwardedHeader {

    /** Elements beyond this many make the header unusable: no proxy chain is that long. */
    static final int MAX_ELEMENTS = 64;

    private ForwardedHeader() {
    }

    static List<String> forNodes(String value) {
        List<String> nodes = new ArrayList<>();
        int i = 0;
        int n = value.length();
        String forNode = null;
        boolean elementHasPair = false;
        while (true) {
            i = skipSpace(value, i);
            if (i < n && value.charAt(i) != ',' && value.charAt(i) != ';') {
                int nameStart = i;
                while (i < n && isTchar(value.charAt(i))) {
                    i++;
                }
                if (i == nameStart || i >= n || value.charAt(i) != '=') {
                    return null;
                }
                String name = value.substring(nameStart, i);
                i++;
                String v;
                if (i < n && value.charAt(i) == '"') {
                    StringBuilder q = new StringBuilder();
                    i++;
                    boolean closed = false;
                    while (i < n) {
                        char c = value.charAt(i++);
                        if (c == '"') {
                            closed = true;
                            break;
                        }
                        if (c == '\\') {
                            if (i >= n) {
                                return null;
                            }
                            c = value.charAt(i++);
                        }
                        q.append(c);
                    }
                    if (!closed) {
                        return null;
                    }
                    v = q.toString();
                } else {
                    int vStart = i;
                    while (i < n && isTchar(value.charAt(i))) {
                        i++;
                    }
                    if (i == vStart) {
                        return null;
                    }
                    v = value.substring(vStart, i);
                }
                if (name.equalsIgnoreCase("for")) {
                    if (forNode != null) {
                        return null; // a parameter appears at most once per element
                    }
                    forNode = v;
                }
                elementHasPair = true;
                i = skipSpace(value, i);
            }
            if (i >= n || value.charAt(i) == ',') {
                if (elementHasPair || forNode != null) {
                    nodes.add(forNode == null ? "unknown" : forNode);
                    if (nodes.size() > MAX_ELEMENTS) {
                        return null;
                    }
                }
                forNode = null;
                elementHasPair = false;
                if (i >= n) {
                    return nodes;
                }
                i++;
            } else if (value.charAt(i) == ';') {
                i++;
            } else {
                return null;
            }
        }
    }

    private static int skipSpace(String s, int i) {
        while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
            i++;
        }
        return i;
    }

    /** RFC 9110 tchar. */
    private static boolean isTchar(char c) {
        return c < 128 && (Character.isLetterOrDigit(c) || "!#$%&'*+-.^_`|~".indexOf(c) >= 0);
    }

    /**
     * The IP literal of a node ({@code 192.0.2.1}, {@code 192.0.2.1:80}, {@code [2001:db8::1]},
     * {@code [2001:db8::1]:80}), or null for {@code unknown}, an obfuscated {@code _name} and anything else.
     */
    static String nodeAddress(String node) {
        if (node.startsWith("[")) {
            int close = node.indexOf(']');
            if (close < 0 || !(close == node.length() - 1 || node.charAt(close + 1) == ':' && isPort(node.substring(close + 2)))) {
                return null;
            }
            return node.substring(1, close);
        }
        int colon = node.indexOf(':');
        if (colon >= 0) {
            // Unbracketed IPv6 is not a node; IPv4 with a port is.
            return node.indexOf(':', colon + 1) < 0 && isPort(node.substring(colon + 1)) ? node.substring(0, colon) : null;
        }
        return node;
    }

    /** node-port: 1-5 digits, or an obfuscated port ("_" then letters, digits, ".", "_", "-"). */
    private static boolean isPort(String p) {
        if (p.isEmpty() || p.length() > 32) {
            return false;
        }
        if (p.charAt(0) == '_') {
            return p.chars().allMatch(c -> c < 128 && (Character.isLetterOrDigit(c) || c == '.' || c == '_' || c == '-'));
        }
        return p.length() <= 5 && p.chars().allMatch(c -> c >= '0' && c <= '9') && Integer.parseInt(p) <= 65535;
    }
}
