package io.isthmus.webroute.pairing;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.core.splice.TcpEndpoint;
import io.isthmus.webroute.handshake.WebRouteRequest;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Slots, roles, modes and caps of the registry that plugin-remoted shares. */
class PairingRegistryTest {

    private final List<EmbeddedChannel> channels = new ArrayList<>();

    @AfterEach
    void closeChannels() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    Waiter waiter(String target, String id, PairingRole role, String ip) {
        EmbeddedChannel ch = new EmbeddedChannel();
        channels.add(ch);
        return new Waiter(new WebRouteRequest(target, id, null), role, TcpEndpoint.adopt(ch, null, 1024),
                new InetSocketAddress(ip, 40000 + channels.size()));
    }

    Waiter peer(String target, String id) {
        return waiter(target, id, PairingRole.PEER, "127.0.0.1");
    }

    @Test
    void oneSlotPerKeyAndAThirdBecomesANewWaiter() {
        PairingRegistry r = new PairingRegistry(new PairingLimits(10, 10));
        Waiter a = peer("/p?q=1", "id");
        Waiter b = peer("/p?q=1", "id");
        Waiter c = peer("/p?q=1", "id");
        Waiter d = peer("/p?q=1", "id");
        assertThat(r.arrive(a, PairingRule.PEERS)).isInstanceOf(Arrival.Parked.class);
        assertThat(r.arrive(b, PairingRule.PEERS)).isEqualTo(new Arrival.Matched(a));
        assertThat(r.waiting()).isZero();
        assertThat(r.arrive(c, PairingRule.PEERS)).isInstanceOf(Arrival.Parked.class);
        assertThat(r.arrive(d, PairingRule.PEERS)).isEqualTo(new Arrival.Matched(c));
    }

    @Test
    void theKeyIsPathWithQueryAndId() {
        PairingRegistry r = new PairingRegistry(new PairingLimits(10, 10));
        assertThat(r.arrive(peer("/p?q=1", "id"), PairingRule.PEERS)).isInstanceOf(Arrival.Parked.class);
        assertThat(r.arrive(peer("/p?q=2", "id"), PairingRule.PEERS)).isInstanceOf(Arrival.Parked.class);
        assertThat(r.arrive(peer("/p?q=1", "other"), PairingRule.PEERS)).isInstanceOf(Arrival.Parked.class);
        assertThat(r.arrive(peer("/p?q=1", ""), PairingRule.PEERS)).isInstanceOf(Arrival.Parked.class);
        assertThat(r.arrive(peer("/p?q=1", ""), PairingRule.PEERS)).isInstanceOf(Arrival.Matched.class);
        assertThat(r.waiting()).isEqualTo(3);
        assertThat(r.isWaiting(new PairingKey("/p?q=2", "id"))).isTrue();
    }

    @Test
    void aServerConnectBackLinksOnlyWithAWaitingClient() {
        PairingRegistry r = new PairingRegistry(new PairingLimits(10, 10));
        PairingRule server = PairingRule.linkExisting(PairingRole.CLIENT);
        PairingRule client = PairingRule.waitOnly();
        assertThat(r.arrive(waiter("/s", "id", PairingRole.SERVER, "127.0.0.1"), server))
                .isEqualTo(new Arrival.Refused(Arrival.Reason.NO_WAITER));
        assertThat(r.waiting()).isZero();
        Waiter c1 = waiter("/s", "id", PairingRole.CLIENT, "127.0.0.1");
        assertThat(r.arrive(c1, client)).isInstanceOf(Arrival.Parked.class);
        // A second client may not claim the first, nor take its slot.
        assertThat(r.arrive(waiter("/s", "id", PairingRole.CLIENT, "127.0.0.1"), client))
                .isEqualTo(new Arrival.Refused(Arrival.Reason.SLOT_TAKEN));
        assertThat(r.arrive(waiter("/s", "id", PairingRole.SERVER, "127.0.0.1"), server)).isEqualTo(new Arrival.Matched(c1));
    }

    @Test
    void theReferenceQuirkOfClientsLinkingEachOtherIsOneRuleAway() {
        PairingRegistry r = new PairingRegistry(new PairingLimits(10, 10));
        PairingRule clientLikeReference = PairingRule.linkOrWait(PairingRole.CLIENT);
        Waiter c1 = waiter("/s", "id", PairingRole.CLIENT, "127.0.0.1");
        assertThat(r.arrive(c1, clientLikeReference)).isInstanceOf(Arrival.Parked.class);
        assertThat(r.arrive(waiter("/s", "id", PairingRole.CLIENT, "127.0.0.1"), clientLikeReference))
                .isEqualTo(new Arrival.Matched(c1));
    }

    @Test
    void capsCountWaitersGloballyAndPerAddress() {
        PairingRegistry r = new PairingRegistry(new PairingLimits(3, 2));
        Waiter a1 = peer("/1", "x");
        assertThat(r.arrive(a1, PairingRule.PEERS)).isInstanceOf(Arrival.Parked.class);
        assertThat(r.arrive(peer("/2", "x"), PairingRule.PEERS)).isInstanceOf(Arrival.Parked.class);
        assertThat(r.arrive(peer("/3", "x"), PairingRule.PEERS)).isEqualTo(new Arrival.Refused(Arrival.Reason.WAITING_FULL_FOR_ADDRESS));
        assertThat(r.arrive(waiter("/4", "x", PairingRole.PEER, "127.0.0.2"), PairingRule.PEERS)).isInstanceOf(Arrival.Parked.class);
        // Full: 127.0.0.3 holds nothing, 127.0.0.1 the most, so its oldest waiter makes room (fair share).
        assertThat(r.arrive(waiter("/5", "x", PairingRole.PEER, "127.0.0.3"), PairingRule.PEERS))
                .isEqualTo(new Arrival.Parked(a1));
        // Full, and every client holds one place, 127.0.0.3 too: refused.
        assertThat(r.arrive(waiter("/6", "x", PairingRole.PEER, "127.0.0.3"), PairingRule.PEERS))
                .isEqualTo(new Arrival.Refused(Arrival.Reason.WAITING_FULL));
        // A partner is never capped.
        assertThat(r.arrive(peer("/4", "x"), PairingRule.PEERS)).isInstanceOf(Arrival.Matched.class);
        assertThat(r.withdraw(a1)).as("already displaced").isFalse();
        assertThat(r.waitingFrom(a1.client().getAddress())).isEqualTo(1);
        assertThat(r.waiting()).isEqualTo(2);
    }

    /** Issue #10 point 4: IPv6 clients are counted by their /64 (or the configured prefix). */
    @Test
    void ipv6WaitersCountByTheirPrefix() {
        PairingRegistry r = new PairingRegistry(new PairingLimits(100, 2));
        assertThat(r.arrive(waiter("/a", "x", PairingRole.PEER, "2001:db8::1"), PairingRule.PEERS)).isInstanceOf(Arrival.Parked.class);
        assertThat(r.arrive(waiter("/b", "x", PairingRole.PEER, "2001:db8::ffff:2"), PairingRule.PEERS)).isInstanceOf(Arrival.Parked.class);
        assertThat(r.arrive(waiter("/c", "x", PairingRole.PEER, "2001:db8:0:0:1::3"), PairingRule.PEERS))
                .isEqualTo(new Arrival.Refused(Arrival.Reason.WAITING_FULL_FOR_ADDRESS));
        assertThat(r.arrive(waiter("/d", "x", PairingRole.PEER, "2001:db8:0:1::1"), PairingRule.PEERS)).isInstanceOf(Arrival.Parked.class);
        PairingRegistry byAddress = new PairingRegistry(new PairingLimits(100, 2, 128));
        for (String a : new String[] {"2001:db8::1", "2001:db8::2", "2001:db8::3"}) {
            assertThat(byAddress.arrive(waiter("/" + a, "x", PairingRole.PEER, a), PairingRule.PEERS)).isInstanceOf(Arrival.Parked.class);
        }
    }

    @Test
    void aDeadWaiterIsNeverLinked() {
        PairingRegistry r = new PairingRegistry(new PairingLimits(10, 10));
        Waiter a = peer("/d", "id");
        assertThat(r.arrive(a, PairingRule.PEERS)).isInstanceOf(Arrival.Parked.class);
        a.channel().close();
        Waiter b = peer("/d", "id");
        assertThat(r.arrive(b, PairingRule.PEERS)).isInstanceOf(Arrival.Parked.class);
        assertThat(r.withdraw(a)).isFalse();
        assertThat(r.waiting()).isEqualTo(1);
        Waiter gone = peer("/e", "id");
        gone.channel().close();
        assertThat(r.arrive(gone, PairingRule.PEERS)).isEqualTo(new Arrival.Refused(Arrival.Reason.GONE));
    }

    @Test
    void withdrawIfEmptiesAPath() {
        PairingRegistry r = new PairingRegistry(new PairingLimits(10, 10));
        r.arrive(waiter("/srv/?a=1", "1", PairingRole.CLIENT, "127.0.0.1"), PairingRule.waitOnly());
        r.arrive(waiter("/srv/?a=2", "2", PairingRole.CLIENT, "127.0.0.1"), PairingRule.waitOnly());
        r.arrive(waiter("/other/", "3", PairingRole.CLIENT, "127.0.0.1"), PairingRule.waitOnly());
        assertThat(r.withdrawIf(w -> w.key().path().equals("/srv/"))).hasSize(2);
        assertThat(r.waiting()).isEqualTo(1);
        assertThat(r.waitingFrom(new InetSocketAddress("127.0.0.1", 0).getAddress())).isEqualTo(1);
    }
}
