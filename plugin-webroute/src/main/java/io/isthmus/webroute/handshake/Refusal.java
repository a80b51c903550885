package io.isthmus.webroute.handshake;

import io.isthmus.core.http.LingeringClose;
import io.isthmus.core.http.PlainResponses;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;

/**
 * A request the WebRoute checks refused.
 *
 * @param reason   a low-cardinality metric label ({@code method_not_allowed}, {@code missing_id}, ...)
 * @param response the reference server's exact reply bytes (ISO-8859-1)
 */
public record Refusal(String reason, String response) implements WebRouteHandshake.Verdict {

    /**
     * Writes the reply and closes. The reference leaves the socket idle until its timeout instead; closing
     * frees the connection at once, and the lingering close keeps a client that is still sending from
     * losing the reply to a reset.
     */
    public ChannelFuture sendTo(Channel channel) {
        return sendRawAndClose(channel, response);
    }

    /** Writes {@code raw} exactly, then ends the connection with a lingering close. */
    public static ChannelFuture sendRawAndClose(Channel channel, String raw) {
        ChannelFuture written = PlainResponses.write(channel, raw);
        LingeringClose.after(written);
        return written;
    }
}
