package io.isthmus.core.egress;

import io.isthmus.core.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsOpCode;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An authoritative DNS server on 127.0.0.1 that answers A and AAAA from a fixed table and NXDOMAIN for
 * anything else, so the dialer's resolution and rebinding checks run against real DNS packets without
 * leaving the machine. It records every name asked, so a test can prove a name was never resolved.
 */
final class LoopbackDnsServer implements AutoCloseable {

    private final Map<String, List<InetAddress>> zone;
    private final Set<String> asked = ConcurrentHashMap.newKeySet();
    private final Channel channel;

    LoopbackDnsServer(Transport transport, EventLoopGroup group, Map<String, List<InetAddress>> zone) throws InterruptedException {
        this.zone = zone;
        this.channel = new Bootstrap().group(group).channel(transport.datagramChannel())
                .handler(new ChannelInitializer<DatagramChannel>() {
                    @Override
                    protected void initChannel(DatagramChannel ch) {
                        ch.pipeline().addLast(new DatagramDnsQueryDecoder(), new DatagramDnsResponseEncoder(), new Answerer());
                    }
                })
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    /** Names (without the trailing dot) that were asked for, of any type. */
    Set<String> asked() {
        return asked;
    }

    @Override
    public void close() throws InterruptedException {
        channel.close().sync();
    }

    private final class Answerer extends SimpleChannelInboundHandler<DatagramDnsQuery> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramDnsQuery query) {
            DnsQuestion question = query.recordAt(DnsSection.QUESTION);
            String name = question.name().endsWith(".") ? question.name().substring(0, question.name().length() - 1)
                    : question.name();
            asked.add(name);
            List<InetAddress> addresses = zone.get(name);
            DatagramDnsResponse response = new DatagramDnsResponse(query.recipient(), query.sender(), query.id(),
                    DnsOpCode.QUERY, addresses == null ? DnsResponseCode.NXDOMAIN : DnsResponseCode.NOERROR);
            response.setAuthoritativeAnswer(true);
            response.addRecord(DnsSection.QUESTION, question);
            if (addresses != null) {
                int wanted = question.type() == DnsRecordType.A ? 4 : question.type() == DnsRecordType.AAAA ? 16 : -1;
                for (InetAddress a : addresses) {
                    if (a.getAddress().length == wanted) {
                        response.addRecord(DnsSection.ANSWER, new DefaultDnsRawRecord(question.name(), question.type(),
                                60, Unpooled.wrappedBuffer(a.getAddress())));
                    }
                }
            }
            ctx.writeAndFlush(response);
        }
    }
}
