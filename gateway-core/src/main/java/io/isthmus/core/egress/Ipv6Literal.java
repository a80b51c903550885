package io.isthmus.core.egress;

/**
 * IPv6 text (RFC 4291 §2.2) to its sixteen bytes, exactly as written.
 *
 * <p>Our own parser rather than Netty's {@code NetUtil} because the latter rewrites the deprecated
 * IPv4-compatible form {@code ::127.0.0.1} into the IPv4-mapped {@code ::ffff:127.0.0.1} and silently
 * drops a {@code %zone}: the policy must judge, and the dialer must connect to, the address the client
 * actually named. Zones are refused: a scoped address is link-local and never a valid egress target.
 */
final class Ipv6Literal {

    private Ipv6Literal() {
    }

    /** The bytes of an IPv6 address without brackets or zone, or null when the text is not one. */
    static byte[] parse(String text) {
        if (text.length() < 2 || text.length() > 45) {
            return null;
        }
        int gap = text.indexOf("::");
        if (gap >= 0 && text.indexOf("::", gap + 1) >= 0) {
            return null;
        }
        byte[] head;
        byte[] tail;
        if (gap < 0) {
            head = groups(text, true);
            tail = new byte[0];
            if (head == null || head.length != 16) {
                return null;
            }
        } else {
            head = groups(text.substring(0, gap), false);
            tail = groups(text.substring(gap + 2), true);
            // "::" stands for at least one group of zeros.
            if (head == null || tail == null || head.length + tail.length > 14) {
                return null;
            }
        }
        byte[] address = new byte[16];
        System.arraycopy(head, 0, address, 0, head.length);
        System.arraycopy(tail, 0, address, 16 - tail.length, tail.length);
        return address;
    }

    /** Colon-separated hex groups; the last may be a dotted quad when {@code mayEndInIpv4}. Empty text is no groups. */
    private static byte[] groups(String text, boolean mayEndInIpv4) {
        if (text.isEmpty()) {
            return new byte[0];
        }
        String[] parts = text.split(":", -1);
        if (parts.length > 8) {
            return null;
        }
        byte[] out = new byte[16];
        int n = 0;
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            if (i == parts.length - 1 && mayEndInIpv4 && p.indexOf('.') >= 0) {
                byte[] v4 = Ipv4Literal.parseDottedQuad(p);
                if (v4 == null || n + 4 > 16) {
                    return null;
                }
                System.arraycopy(v4, 0, out, n, 4);
                n += 4;
                continue;
            }
            int v = hexGroup(p);
            if (v < 0 || n + 2 > 16) {
                return null;
            }
            out[n++] = (byte) (v >>> 8);
            out[n++] = (byte) v;
        }
        byte[] exact = new byte[n];
        System.arraycopy(out, 0, exact, 0, n);
        return exact;
    }

    private static int hexGroup(String p) {
        if (p.isEmpty() || p.length() > 4) {
            return -1;
        }
        int v = 0;
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            int d = c <= 'f' ? Character.digit(c, 16) : -1;
            if (d < 0) {
                return -1;
            }
            v = v * 16 + d;
        }
        return v;
    }
}
