package io.isthmus.rawsocket.target;

import io.isthmus.core.config.HostPort;
import io.isthmus.core.egress.EgressPolicy;
import io.isthmus.core.egress.EgressTarget;
import io.isthmus.core.egress.TargetAllowList;
import java.util.Map;

/**
 * Chooses one endpoint's target from what the request carries, first match wins: {@code ?token=} (a
 * demo service, a signed token, or a token-file entry), the fixed target, then a client-chosen one (the
 * path's {@code HOST:PORT}, or {@code ?host=&port=} / {@code ?remoteAddress=&remotePort=}). The endpoint's
 * allow-list applies to all but the demo services, whose own policy already pins them.
 */
public final class TargetChooser {

    private final boolean datagram;
    private final HostPort fixed;
    private final boolean tokens;
    private final boolean clientTargets;
    private final TargetAllowList allowList;
    private final EgressPolicy policy;
    private final TokenFile tokenFile;
    private final SignedTokens signedTokens;
    private final DemoTargets demo;

    /**
     * @param fixed        "host:port" or empty
     * @param tokenFile    null when none is configured
     * @param signedTokens null when JWTs are off
     * @param demo         null when the demo services are off
     */
    public TargetChooser(boolean datagram, String fixed, boolean tokens, boolean clientTargets, TargetAllowList allowList,
                         EgressPolicy policy, TokenFile tokenFile, SignedTokens signedTokens, DemoTargets demo) {
        this.datagram = datagram;
        this.fixed = fixed.isEmpty() ? null : HostPort.parse(fixed);
        this.tokens = tokens;
        this.clientTargets = clientTargets;
        this.allowList = allowList;
        this.policy = policy;
        this.tokenFile = tokenFile;
        this.signedTokens = signedTokens;
        this.demo = demo;
    }

    public boolean clientTargets() {
        return clientTargets;
    }

    /**
     * @param query      the decoded query parameters (first value of each)
     * @param pathTarget the {@code HOST:PORT} after the endpoint's path, or null
     */
    public TargetChoice choose(Map<String, String> query, String pathTarget) {
        String token = query.get("token");
        if (token != null && tokens) {
            return byToken(token);
        }
        if (pathTarget != null) {
            if (!clientTargets) {
                return new TargetChoice.Refused("client_target_not_allowed", "This endpoint does not take a target in its path");
            }
            HostPort hp;
            try {
                hp = HostPort.parse(pathTarget);
            } catch (IllegalArgumentException e) {
                return new TargetChoice.Refused("bad_target", "Expected HOST:PORT after the path");
            }
            if (hp.host().isEmpty() || hp.port() == 0) {
                return new TargetChoice.Refused("bad_target", "Expected HOST:PORT after the path, port 1-65535");
            }
            return allowed(new Target(new EgressTarget(hp.host(), hp.port()), policy, "client"));
        }
        if (fixed != null) {
            return allowed(new Target(new EgressTarget(fixed.host(), fixed.port()), policy, "fixed"));
        }
        String host = first(query, "host", "remoteAddress");
        String port = first(query, "port", "remotePort");
        if (clientTargets && (host != null || port != null)) {
            if (host == null || host.isEmpty() || port == null || !port.matches("[0-9]{1,5}")) {
                return new TargetChoice.Refused("bad_target", "Invalid option remotePort/remoteAddress: expected host and port 1-65535");
            }
            int p = Integer.parseInt(port);
            if (p < 1 || p > 65535) {
                return new TargetChoice.Refused("bad_target", "Invalid option remotePort: expected 1-65535");
            }
            String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
            return allowed(new Target(new EgressTarget(h, p), policy, "client"));
        }
        if (token != null) {
            return new TargetChoice.Refused("tokens_off", "This endpoint does not take tokens");
        }
        return new TargetChoice.Refused("no_target", "No target: give ?token=NAME");
    }

    private static String first(Map<String, String> query, String a, String b) {
        String v = query.get(a);
        return v != null ? v : query.get(b);
    }

    private TargetChoice byToken(String token) {
        if (demo != null) {
            Target t = demo.lookup(token, datagram);
            if (t != null) {
                return new TargetChoice.Chosen(t);
            }
        }
        if (signedTokens != null && SignedTokens.looksSigned(token)) {
            try {
                HostPort hp = signedTokens.verify(token);
                return allowed(new Target(new EgressTarget(hp.host(), hp.port()), policy, "jwt"));
            } catch (SignedTokens.Invalid e) {
                return new TargetChoice.Refused(e.label(), e.getMessage());
            }
        }
        HostPort hp = tokenFile == null ? null : tokenFile.lookup(token);
        if (hp == null) {
            return new TargetChoice.Refused("unknown_token", "Unknown token");
        }
        return allowed(new Target(new EgressTarget(hp.host(), hp.port()), policy, "token"));
    }

    private TargetChoice allowed(Target t) {
        if (!allowList.permits(t.address())) {
            return new TargetChoice.Refused("target_not_allowed", "Target not allowed: " + t.address());
        }
        return new TargetChoice.Chosen(t);
    }
}
