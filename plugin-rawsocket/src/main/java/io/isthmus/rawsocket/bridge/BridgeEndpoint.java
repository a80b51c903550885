package io.isthmus.rawsocket.bridge;

import io.isthmus.rawsocket.target.TargetChooser;

/**
 * One endpoint kind as configured: where it listens and what one WebSocket becomes.
 *
 * @param name             the metric label: {@code websockify}, {@code wsproxy}, {@code udp}
 * @param path             the full path; requests must match it exactly, or be {@code path + target} where
 *                         {@code pathTargets} (wsproxy: {@code path} ends with '/') or {@code path + "/" + target}
 *                         (udp)
 * @param pathTargets      whether a {@code HOST:PORT} may follow the path
 * @param datagram         one message = one UDP datagram; else binary messages are a TCP stream
 * @param base64           whether the {@code base64} subprotocol is accepted
 * @param emscriptenPort   whether a first message that is Emscripten's port announcement is consumed
 * @param maxDatagram      the largest datagram passed on (datagram endpoints)
 */
public record BridgeEndpoint(String name, String path, boolean pathTargets, boolean datagram, boolean base64,
                             boolean emscriptenPort, int maxDatagram, TargetChooser chooser) {

    /** The {@code HOST:PORT} after the path (percent-decoded), "" for the bare path, or null when the path is not ours. */
    public String pathTarget(String requestPath) {
        if (requestPath.equals(path)) {
            return "";
        }
        if (!pathTargets) {
            return null;
        }
        String base = path.endsWith("/") ? path : path + "/";
        if (!requestPath.startsWith(base) || requestPath.length() == base.length()) {
            return null;
        }
        String rest = requestPath.substring(base.length());
        // A trailing slash means Wisp in the wsproxy convention; one more segment is no target of ours.
        if (rest.indexOf('/') >= 0) {
            return null;
        }
        try {
            return io.netty.handler.codec.http.QueryStringDecoder.decodeComponent(rest);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
