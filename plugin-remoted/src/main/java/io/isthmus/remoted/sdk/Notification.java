package io.isthmus.remoted.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * What the gateway tells a registered server about an arriving client:
 * {@code {"ipaddr":"ip:port","id":"<ID>","timeout":N}}. As the reference SDK, any message carrying the three
 * keys is taken; {@code timeout} is used only when it is a whole number.
 */
record Notification(String id, InetSocketAddress client, Integer timeoutSeconds) {

    private static final ObjectMapper JSON = new ObjectMapper();

    static Optional<Notification> parse(String text) {
        JsonNode n;
        try {
            n = JSON.readTree(text);
        } catch (IOException e) {
            return Optional.empty();
        }
        if (n == null || !n.has("ipaddr") || !n.has("id") || !n.has("timeout") || !n.get("id").isTextual()) {
            return Optional.empty();
        }
        Integer timeout = n.get("timeout").canConvertToInt() && n.get("timeout").isIntegralNumber() ? n.get("timeout").asInt() : null;
        return Optional.of(new Notification(n.get("id").asText(), address(n.get("ipaddr").asText()), timeout));
    }

    private static InetSocketAddress address(String ipaddr) {
        int colon = ipaddr.lastIndexOf(':');
        if (colon <= 0) {
            return null;
        }
        String host = ipaddr.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            return InetSocketAddress.createUnresolved(host, Integer.parseInt(ipaddr.substring(colon + 1)));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
