package io.isthmus.core.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The guard that fails a test class on a leak must itself be able to see one. */
class LeakGuardTest {

    @Test
    void aDroppedBufferIsReported() {
        leakOneBuffer();
        List<String> seen = new ArrayList<>();
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            seen.addAll(LeakGuard.drainReports());
            return !seen.isEmpty();
        });
        assertThat(String.join("\n", seen)).contains("ByteBuf").contains("leakOneBuffer");
    }

    private static void leakOneBuffer() {
        ByteBuf leaked = ByteBufAllocator.DEFAULT.directBuffer(64);
        leaked.writeInt(42);
        // Dropped without release(): exactly what the guard exists to catch.
    }
}
