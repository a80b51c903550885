package io.isthmus.rawsocket;

import static io.isthmus.rawsocket.KernelPathChecks.random;
import static io.isthmus.rawsocket.KernelPathChecks.switches;
import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.core.Gateway;
import io.isthmus.core.testing.TestGateways;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A websockify download on the framed kernel path (target socket to pipe to binary frames): the bytes
 * arrive whole and in order, then the Close that says the target closed; with zero-copy off the same
 * download copies.
 */
class WebsockifyZeroCopyTest {

    private static final int SIZE = 8 * 1024 * 1024;

    @TempDir
    Path dir;

    @Test
    void aBinaryDownloadLeavesTheJvmAndArrivesWholeBeforeTheClose() throws Exception {
        byte[] content = random(SIZE);
        try (LoopbackTargets targets = new LoopbackTargets(); Gateway g = gateway(targets.halfClose(content))) {
            try (WsClient ws = WsClient.connectBinary(g.address(), "/sockets/websockify?token=bulk")) {
                assertThat(Arrays.equals(ws.readBytes(SIZE), content)).isTrue();
                WsClient.Frame close = ws.readDataOrClose();
                assertThat(close.opcode()).isEqualTo(WsClient.CLOSE);
                assertThat(close.closeCode()).isEqualTo(1000);
            }
            assertThat(switches(g, "splice")).isGreaterThanOrEqualTo(1);
        }
    }

    @Test
    void withZeroCopyOffTheSameDownloadCopies() throws Exception {
        byte[] content = random(SIZE / 8);
        try (LoopbackTargets targets = new LoopbackTargets();
             Gateway g = gateway(targets.halfClose(content), "isthmus.splice.zero-copy = false")) {
            try (WsClient ws = WsClient.connectBinary(g.address(), "/sockets/websockify?token=bulk")) {
                assertThat(Arrays.equals(ws.readBytes(content.length), content)).isTrue();
            }
            assertThat(switches(g, "splice")).isZero();
        }
    }

    private Gateway gateway(int port) throws Exception {
        return gateway(port, "");
    }

    private Gateway gateway(int port, String extra) throws Exception {
        Path tokens = dir.resolve("tokens.cfg");
        Files.writeString(tokens, "bulk: 127.0.0.1:" + port + "\n");
        return TestGateways.start("""
                isthmus.egress.allow-cidrs = ["127.0.0.0/8"]
                isthmus.plugins.rawsocket {
                  tokens { file = "%s" }
                  demo.services = false
                }
                """.formatted(tokens.toString().replace("\\", "\\\\")) + extra);
    }
}
