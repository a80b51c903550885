package io.isthmus.core.egress;

/** A port or an inclusive range of ports as config writes them: {@code "443"} or {@code "8000-8099"}. */
record PortRange(int first, int last) {

    PortRange {
        if (first < 0 || last > 65535 || first > last) {
            throw new IllegalArgumentException("invalid port range " + first + "-" + last);
        }
    }

    static PortRange parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty port (expected e.g. \"443\" or \"8000-8099\")");
        }
        int dash = text.indexOf('-');
        int first = port(text, dash < 0 ? text : text.substring(0, dash));
        int last = dash < 0 ? first : port(text, text.substring(dash + 1));
        if (first > last) {
            throw new IllegalArgumentException("'" + text + "': the first port is above the last");
        }
        return new PortRange(first, last);
    }

    boolean contains(int port) {
        return port >= first && port <= last;
    }

    private static int port(String whole, String part) {
        if (!part.matches("[0-9]{1,5}")) {
            throw new IllegalArgumentException("'" + whole + "' is not a port or port range (expected e.g. \"443\" or \"8000-8099\")");
        }
        int port = Integer.parseInt(part);
        if (port > 65535) {
            throw new IllegalArgumentException("'" + whole + "': a port is 0 to 65535");
        }
        return port;
    }

    @Override
    public String toString() {
        return first == last ? Integer.toString(first) : first + "-" + last;
    }
}
