package io.isthmus.remoted;

import io.isthmus.core.http.LingeringClose;
import io.isthmus.core.http.PlainResponses;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The Remoted API server's replies, byte for byte as the reference sends them (protocol notes §6): JSON
 * bodies with its exact headers, and the raw WebSocket refusals. Unlike the reference, the connection
 * closes after every refusal (with a lingering close, so the reply is not lost).
 */
final class RemotedReplies {

    static final String INVALID_KEY = "{\"success\":false,\"error\":\"Invalid or missing 'X-Remoted-APIKey' header.\","
            + "\"errorcode\":\"invalid_missing_apikey\"}";
    static final String MISSING_DESTINATION = "{\"success\":false,\"error\":\"Requested destination does not exist at this time.\","
            + "\"errorcode\":\"missing_destination\"}";
    static final String EXPECTED_WEBROUTE = "{\"success\":false,\"error\":\"Invalid request.  Expected WebRoute upgrade.\","
            + "\"errorcode\":\"invalid_request\"}";
    static final String EXPECTED_WS_OR_WEBROUTE = "{\"success\":false,\"error\":\"Invalid request.  Expected WebSocket or WebRoute upgrade.\","
            + "\"errorcode\":\"invalid_request\"}";

    /** Our own refusals (the reference has none): same JSON shape. */
    static final String ID_IN_USE = "{\"success\":false,\"error\":\"Another client is waiting with this WebRoute-ID.\","
            + "\"errorcode\":\"id_in_use\"}";
    static final String BUSY = "{\"success\":false,\"error\":\"Too many clients are waiting; try again later.\","
            + "\"errorcode\":\"busy\"}";

    static final String OVERLOADED = "{\"success\":false,\"error\":\"The gateway is short of memory; try again later.\","
            + "\"errorcode\":\"overloaded\"}";

    static final String WS_BAD_REQUEST = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n";
    static final String WS_UPGRADE_REQUIRED = "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nConnection: close\r\n\r\n";
    static final String WS_FORBIDDEN = "HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n";

    private static final DateTimeFormatter HTTP_DATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

    private RemotedReplies() {
    }

    static ChannelFuture json(Channel channel, int status, String reason, String body) {
        String now = HTTP_DATE.format(ZonedDateTime.now(ZoneOffset.UTC));
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String response = "HTTP/1.1 " + status + " " + reason + "\r\n"
                + "Content-Type: application/json\r\n"
                + "Expires: Tue, 03 Jul 2001 06:00:00 GMT\r\n"
                + "Last-Modified: " + now + "\r\n"
                + "Cache-Control: max-age=0, no-cache, must-revalidate, proxy-revalidate\r\n"
                + "Content-Length: " + bytes.length + "\r\n"
                + "Date: " + now + "\r\n"
                + "Connection: close\r\n\r\n" + body;
        ChannelFuture written = PlainResponses.write(channel, response);
        LingeringClose.after(written);
        return written;
    }

    /** Memory is above its high mark (isthmus.limits.memory): new waits and registrations are refused. */
    static ChannelFuture overloaded(Channel channel) {
        return json(channel, 503, "Service Unavailable", OVERLOADED);
    }

    static ChannelFuture invalidKey(Channel channel) {
        return json(channel, 403, "Forbidden", INVALID_KEY);
    }

    static ChannelFuture missingDestination(Channel channel) {
        return json(channel, 502, "Bad Gateway", MISSING_DESTINATION);
    }

    static ChannelFuture expectedWebRoute(Channel channel) {
        return json(channel, 400, "Bad Request", EXPECTED_WEBROUTE);
    }

    static ChannelFuture expectedWebSocketOrWebRoute(Channel channel) {
        return json(channel, 400, "Bad Request", EXPECTED_WS_OR_WEBROUTE);
    }

    /** A raw refusal of a WebSocket handshake, then a (lingering) close. */
    static ChannelFuture raw(Channel channel, String bytes) {
        ChannelFuture written = PlainResponses.write(channel, bytes);
        LingeringClose.after(written);
        return written;
    }
}
