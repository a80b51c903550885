package io.isthmus.bare;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.isthmus.core.Gateway;
import io.isthmus.core.testing.NodeScripts;
import io.isthmus.core.testing.TestGateways;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The real npm clients, run by Node against the gateway: {@code @tomphttp/bare-client} 2.1.0 and
 * {@code @mercuryworkshop/bare-as-module3} 2.2.5 (testing/npm) — custom headers and status text, a POST
 * body, gzip passed through, a redirect returned, a 5,000-character header, a v3 WebSocket echo with a
 * subprotocol and the remote's greeting.
 */
class BareNpmClientsTest {

    @Test
    void realClientsWork() throws Exception {
        try (TestOrigin origin = new TestOrigin();
             Gateway gateway = TestGateways.start("isthmus.plugins.bare.egress.allow-cidrs = [\"127.0.0.0/8\"]")) {
            Path script = Path.of(getClass().getResource("/npm/bare-clients.cjs").toURI());
            String server = "http://127.0.0.1:" + gateway.address().getPort() + "/bare/";
            NodeScripts.Run run = NodeScripts.run(script, List.of(server, Integer.toString(origin.port())),
                    Map.of("NODE_OPTIONS", "--experimental-websocket --no-warnings"), Duration.ofSeconds(60));
            assertThat(run.exitCode()).as(run.toString()).isZero();
            JsonNode report = new ObjectMapper().readTree(run.lastLine());
            List<String> passed = new ArrayList<>();
            report.get("passed").forEach(p -> passed.add(p.asText()));
            assertThat(report.get("failed")).as(run.toString()).isEmpty();
            assertThat(passed).hasSize(10);
        }
    }
}
