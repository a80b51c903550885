package io.isthmus.core.splice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isthmus.core.ValidatedConfig;
import io.isthmus.core.config.InvalidConfigException;
import io.isthmus.core.config.ZeroCopyMode;
import io.isthmus.core.testing.TestGateways;
import org.junit.jupiter.api.Test;

/** {@code isthmus.splice.zero-copy}: auto by default, booleans still accepted, anything else refused by name. */
class ZeroCopyModeConfigTest {

    private static ZeroCopyMode mode(String hocon) {
        return ValidatedConfig.of(TestGateways.config(hocon)).core().splice().zeroCopy();
    }

    @Test
    void autoIsTheDefaultAndBooleansStillWork() {
        assertThat(mode("")).isEqualTo(ZeroCopyMode.AUTO);
        assertThat(mode("isthmus.splice.zero-copy = auto")).isEqualTo(ZeroCopyMode.AUTO);
        assertThat(mode("isthmus.splice.zero-copy = true")).isEqualTo(ZeroCopyMode.ON);
        assertThat(mode("isthmus.splice.zero-copy = false")).isEqualTo(ZeroCopyMode.OFF);
        assertThat(mode("isthmus.splice.zero-copy = \"on\"")).isEqualTo(ZeroCopyMode.ON);
        assertThat(mode("isthmus.splice.zero-copy = off")).isEqualTo(ZeroCopyMode.OFF);
    }

    @Test
    void badValuesStopTheStartNamingTheKey() {
        assertThatThrownBy(() -> mode("isthmus.splice.zero-copy = sometimes"))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("zero-copy");
        assertThatThrownBy(() -> mode("isthmus.splice.zero-copy = 1"))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("zero-copy");
        assertThatThrownBy(() -> mode("isthmus.splice.auto-bulk-reads = 0"))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("auto-bulk-reads");
        assertThatThrownBy(() -> mode("isthmus.splice.auto-bulk-read-size = 1m"))
                .isInstanceOf(InvalidConfigException.class).hasMessageContaining("auto-bulk-read-size");
    }
}
