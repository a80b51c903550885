package io.isthmus.core.spi;

import io.isthmus.core.http.RequestHead;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;

/**
 * A connection handed from the front door to a plugin.
 *
 * @param channel  the client's channel, its pipeline empty of front-door handlers; auto-read is on while
 *                 the plugin's handler runs, so a plugin installs its handler before returning (Netty's
 *                 read loop may continue into it). If it returns without adding any handler, the front
 *                 door turns auto-read off and the plugin turns it on when it is ready for bytes
 * @param head     the decoded request head
 * @param leftover every byte the client sent behind the head before the hand-off (possibly empty); the
 *                 plugin owns it and must write, forward or release it
 * @param client   the client's address as the gateway sees it
 */
public record Handoff(Channel channel, RequestHead head, ByteBuf leftover, InetSocketAddress client) {
}
