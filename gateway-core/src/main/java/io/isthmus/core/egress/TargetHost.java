package io.isthmus.core.egress;

import java.net.IDN;
import java.util.Locale;

/**
 * A target host as the policy sees it: either an IP address (in whatever spelling the client used) or a
 * DNS name in canonical form — lower case, ASCII, without the trailing dot. Canonical names are what host
 * patterns match, so {@code LOCALHOST.} and {@code ｌｏｃａｌｈｏｓｔ} meet the same rule as {@code localhost}.
 */
sealed interface TargetHost permits TargetHost.Address, TargetHost.Name {

    /** An IP literal: 4 or 16 bytes, never resolved. */
    record Address(byte[] bytes) implements TargetHost {
    }

    /** A DNS name to resolve: canonical form. */
    record Name(String name) implements TargetHost {
    }

    /**
     * Parses a host as written by a client (or in a host pattern).
     *
     * @throws IllegalArgumentException with a short reason when the host is neither an address nor a valid name
     */
    static TargetHost parse(String raw) {
        if (raw == null || raw.isEmpty()) {
            throw new IllegalArgumentException("empty host");
        }
        if (raw.length() > 300) {
            throw new IllegalArgumentException("host too long");
        }
        String host = raw;
        if (host.startsWith("[")) {
            if (!host.endsWith("]")) {
                throw new IllegalArgumentException("unbalanced brackets");
            }
            return ipv6(host.substring(1, host.length() - 1));
        }
        if (host.indexOf(':') >= 0 || host.indexOf('%') >= 0) {
            return ipv6(host);
        }
        if (!isAscii(host)) {
            // IDNA maps full-width letters and ideographic dots to ASCII, so "ｌｏｃａｌｈｏｓｔ" cannot dodge a name rule.
            try {
                host = IDN.toASCII(host);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("not a valid internationalised name");
            }
        }
        host = host.toLowerCase(Locale.ROOT);
        if (host.endsWith(".")) {
            host = host.substring(0, host.length() - 1);
        }
        byte[] v4 = Ipv4Literal.parseNumeric(host);
        if (v4 != null) {
            if (Ipv4Literal.hasAmbiguousPart(host)) {
                // "0127.0.0.1" is 87.0.0.1 to inet_aton and 127.0.0.1 to the JDK and Netty: no single reading
                // can be trusted, so the target is refused rather than judged by one of them.
                throw new IllegalArgumentException("ambiguous IPv4 spelling: a part with a leading zero is octal "
                        + "to some resolvers and decimal to others");
            }
            return new Address(v4);
        }
        // As the WHATWG URL parser does: a host whose last label is a number is meant as an IPv4 address;
        // if it is not a valid one, refuse it rather than send it to DNS.
        String lastLabel = host.substring(host.lastIndexOf('.') + 1);
        if (lastLabel.matches("[0-9]+|0x[0-9a-f]*")) {
            throw new IllegalArgumentException("not a valid IPv4 address");
        }
        checkName(host);
        return new Name(host);
    }

    private static Address ipv6(String text) {
        if (text.indexOf('%') >= 0) {
            throw new IllegalArgumentException("scoped IPv6 addresses (with a %zone) are not dialable");
        }
        byte[] v6 = Ipv6Literal.parse(text.toLowerCase(Locale.ROOT));
        if (v6 == null) {
            throw new IllegalArgumentException("not a valid IPv6 address");
        }
        return new Address(v6);
    }

    /** RFC 1035 lengths; letters, digits, hyphen and the underscore that real names (SRV, some CDNs) carry. */
    private static void checkName(String name) {
        if (name.isEmpty() || name.length() > 253) {
            throw new IllegalArgumentException("a DNS name is 1 to 253 characters");
        }
        for (String label : name.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63) {
                throw new IllegalArgumentException("a DNS label is 1 to 63 characters");
            }
            if (label.startsWith("-") || label.endsWith("-")) {
                throw new IllegalArgumentException("a DNS label neither starts nor ends with '-'");
            }
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
                if (!ok) {
                    throw new IllegalArgumentException("a DNS name has only letters, digits, '-' and '_'");
                }
            }
        }
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) > 0x7F) {
                return false;
            }
        }
        return true;
    }
}
