package io.isthmus.core.egress;

/**
 * A host-name rule from config: {@code exact.name} or {@code *.suffix} (any name below the suffix, not the
 * suffix itself). Matched against canonical names, so case and a trailing dot never matter. Addresses are
 * refused here: they belong in the CIDR lists, where every spelling of an address is caught.
 */
final class HostPattern {

    private final String name;
    private final boolean subdomains;

    private HostPattern(String name, boolean subdomains) {
        this.name = name;
        this.subdomains = subdomains;
    }

    static HostPattern parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty host pattern (expected e.g. \"api.example.com\" or \"*.example.com\")");
        }
        boolean subdomains = text.startsWith("*.");
        String rest = subdomains ? text.substring(2) : text;
        if (rest.indexOf('*') >= 0) {
            throw new IllegalArgumentException("'" + text + "': a host pattern is a name or '*.' followed by a name");
        }
        TargetHost host;
        try {
            host = TargetHost.parse(rest);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "' is not a host pattern: " + e.getMessage());
        }
        if (!(host instanceof TargetHost.Name n)) {
            throw new IllegalArgumentException("'" + text + "' is an address, not a host name; use allow-cidrs or deny-cidrs");
        }
        return new HostPattern(n.name(), subdomains);
    }

    /** Whether a canonical name (see {@link TargetHost.Name}) matches. */
    boolean matches(String canonicalName) {
        if (subdomains) {
            return canonicalName.length() > name.length() + 1
                    && canonicalName.endsWith(name)
                    && canonicalName.charAt(canonicalName.length() - name.length() - 1) == '.';
        }
        return canonicalName.equals(name);
    }

    @Override
    public String toString() {
        return subdomains ? "*." + name : name;
    }
}
