package io.isthmus.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.isthmus.core.testing.ProbePairs;
import io.isthmus.core.testing.RawClient;
import io.isthmus.core.testing.TestGateways;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Start-up and drain: readiness, the listener closing, live splices given their deadline. */
class LifecycleTest {

    private static RawClient[] linkedPair(Gateway g) throws IOException {
        ProbePairs.Linked pair = ProbePairs.link(g, "");
        return new RawClient[] {pair.a(), pair.b()};
    }

    private static boolean accepts(InetSocketAddress address) {
        try (Socket s = new Socket()) {
            s.connect(address, 1000);
            return true;
        } catch (ConnectException refused) {
            return false;
        } catch (IOException other) {
            return false;
        }
    }

    @Test
    void drainLetsLiveSplicesFinishWithinTheDeadline() throws Exception {
        Gateway g = TestGateways.start("isthmus.shutdown.drain-timeout = 10s");
        RawClient[] pair = linkedPair(g);
        CompletableFuture<Void> drained = CompletableFuture.runAsync(g::shutdown);
        await().atMost(Duration.ofSeconds(5)).until(() -> !g.isReady());
        await().atMost(Duration.ofSeconds(5)).until(() -> !accepts(g.address()));
        // The linked pair still works while draining.
        pair[0].send("still here");
        assertThat(new String(pair[1].readExactly(10))).isEqualTo("still here");
        assertThat(drained).isNotDone();
        pair[0].close();
        pair[1].close();
        drained.get(10, TimeUnit.SECONDS);
    }

    @Test
    void drainClosesWhatOutlivesTheDeadline() throws Exception {
        Gateway g = TestGateways.start("isthmus.shutdown.drain-timeout = 300ms");
        RawClient[] pair = linkedPair(g);
        long start = System.nanoTime();
        g.shutdown();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
        assertThat(pair[0].isClosedByPeer()).isTrue();
        assertThat(pair[1].isClosedByPeer()).isTrue();
    }

    @Test
    void startReportsTheBoundAddressesAndIsReady() {
        try (Gateway g = TestGateways.start("")) {
            assertThat(g.address().getPort()).isPositive();
            assertThat(g.adminAddress().getPort()).isPositive();
            assertThat(g.isReady()).isTrue();
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void pairsLinkAndDrainWhetherAcceptingOnTheIoLoopsOrOnItsOwnThread(boolean onIoThreads) throws Exception {
        Gateway g = TestGateways.start("isthmus.accept-on-io-threads = " + onIoThreads + "\nisthmus.event-loop-threads = 1");
        linkSayHelloAndClose(g);
        g.shutdown();
        assertThat(accepts(g.address())).isFalse();
    }

    private static void linkSayHelloAndClose(Gateway g) throws IOException {
        RawClient[] pair = linkedPair(g);
        pair[0].send("hello");
        assertThat(new String(pair[1].readExactly(5))).isEqualTo("hello");
        pair[0].close();
        pair[1].close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring"})
    void withSeveralIoLoopsEachAcceptsOnItsOwnSocketOfTheOnePort(String transport) throws Exception {
        assumeTrue(transport.equals("epoll") ? Epoll.isAvailable() : IoUring.isAvailable(), transport + " is needed");
        try (Gateway g = TestGateways.start("isthmus.transport = " + transport + "\nisthmus.event-loop-threads = 2")) {
            assertThat(g.listeningSockets()).isEqualTo(2);
            assertThat(kernelListeners(g.address().getPort())).as("LISTEN sockets on the port, per /proc/net").isEqualTo(2);
            // The kernel spreads connections over the sockets by their addresses: within a few dozen
            // client ports both loops have accepted some.
            Set<String> loops = new HashSet<>();
            for (int i = 0; i < 64 && loops.size() < 2; i++) {
                try (RawClient c = new RawClient(g.address())) {
                    c.send("GET /info/x HTTP/1.1\r\nHost: t\r\n\r\n");
                    Matcher m = Pattern.compile(" loop=(\\S+) ").matcher(c.readToEofAscii());
                    assertThat(m.find()).isTrue();
                    loops.add(m.group(1));
                }
            }
            assertThat(loops).hasSize(2);
            // Pairs whose legs were accepted on different loops still link.
            for (int i = 0; i < 8; i++) {
                linkSayHelloAndClose(g);
            }
            g.shutdown();
            assertThat(accepts(g.address())).as("every socket of the port is closed").isFalse();
        }
    }

    @Test
    void aSecondGatewayOnTheSamePortFailsInsteadOfSharingIt() {
        assumeTrue(Epoll.isAvailable(), "epoll is needed");
        String loops = "isthmus.transport = epoll\nisthmus.event-loop-threads = 2\n";
        try (Gateway first = TestGateways.start(loops)) {
            assertThatThrownBy(() -> TestGateways.start(loops + "isthmus.listen = \"127.0.0.1:" + first.address().getPort() + "\"\n"))
                    .isInstanceOf(Gateway.ListenFailure.class).hasMessageContaining("isthmus.listen")
                    .hasMessageContaining("in use");
            assertThat(first.listeningSockets()).isEqualTo(2);
        }
    }

    @Test
    void nioKeepsOneAcceptingSocket() throws IOException {
        try (Gateway g = TestGateways.start("isthmus.transport = nio\nisthmus.event-loop-threads = 2")) {
            assertThat(g.listeningSockets()).isEqualTo(1);
            assertThat(kernelListeners(g.address().getPort())).isEqualTo(1);
        }
    }

    /** Sockets in state LISTEN on {@code port}, IPv4 and IPv6, as the kernel lists them. */
    private static long kernelListeners(int port) throws IOException {
        String local = String.format(":%04X ", port);
        long n = 0;
        for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            n += Files.readAllLines(Path.of(table)).stream().skip(1).map(String::trim)
                    .filter(line -> line.split("\\s+")[1].endsWith(local.trim()) && line.split("\\s+")[3].equals("0A"))
                    .count();
        }
        return n;
    }

    @Test
    void theAdminListenerCanBeTurnedOff() {
        try (Gateway g = TestGateways.start("isthmus.admin.enabled = false")) {
            assertThat(g.adminAddress()).isNull();
        }
    }

    @Test
    void perIpConnectionCapShedsAtAccept() throws Exception {
        try (Gateway g = TestGateways.start("isthmus.limits.max-connections-per-ip = 2");
             RawClient a = new RawClient(g.address());
             RawClient b = new RawClient(g.address());
             RawClient c = new RawClient(g.address())) {
            await().atMost(Duration.ofSeconds(5)).until(() -> g.metrics().registry().find("isthmus.rejections")
                    .tag("reason", "connection_limit_per_ip").counter() != null);
            // Accepted channels turn active on different event loops, so any one of the three may be the one shed.
            int open = 0;
            RawClient survivor = null;
            for (RawClient client : new RawClient[] {a, b, c}) {
                if (client.staysSilentFor(300)) {
                    open++;
                    survivor = client;
                }
            }
            assertThat(open).isEqualTo(2);
            survivor.send("GET /info/ HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(survivor.readToEofAscii()).startsWith("HTTP/1.1 200 ");
        }
    }
}
