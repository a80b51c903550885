package io.isthmus.core.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isthmus.core.Gateway;
import io.isthmus.core.ValidatedConfig;
import io.isthmus.core.config.InvalidConfigException;
import io.isthmus.core.testing.TestGateways;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;

/** {@code isthmus.allocator} and the read sizes: validated, applied and exported. */
class ChannelSettingsTest {

    @Test
    void theConfiguredAllocatorIsTheOneExported() {
        try (Gateway gateway = TestGateways.start("isthmus.allocator = pooled")) {
            assertThat(gateway.channels().allocator()).isSameAs(PooledByteBufAllocator.DEFAULT);
            assertThat(gateway.metrics().scrape()).contains("netty_allocator_memory_used")
                    .contains("PooledByteBufAllocator");
        }
        try (Gateway gateway = TestGateways.start("isthmus.allocator = unpooled")) {
            assertThat(gateway.channels().allocator()).isSameAs(UnpooledByteBufAllocator.DEFAULT);
        }
        try (Gateway gateway = TestGateways.start("")) {
            assertThat(gateway.channels().allocator().getClass().getSimpleName()).isEqualTo("AdaptiveByteBufAllocator");
            assertThat(gateway.metrics().scrape()).contains("AdaptiveByteBufAllocator");
        }
    }

    @Test
    void badValuesStopTheStartNamingTheKey() {
        assertThatThrownBy(() -> ValidatedConfig.of(TestGateways.config("isthmus.allocator = jemalloc")))
                .isInstanceOf(InvalidConfigException.class).hasMessageStartingWith("isthmus.allocator");
        assertThatThrownBy(() -> ValidatedConfig.of(TestGateways.config("isthmus.splice.max-read-size = 1k")))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("max-read-size");
        assertThatThrownBy(() -> ValidatedConfig.of(TestGateways.config("isthmus.splice.zero-copy-chunk = 4k")))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("zero-copy-chunk");
    }
}
