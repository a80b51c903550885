package io.isthmus.core.config.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import io.isthmus.core.ValidatedConfig;
import io.isthmus.core.config.ConfigLoader;
import io.isthmus.core.config.InvalidConfigException;
import org.junit.jupiter.api.Test;

/** What ConfigFuzzTest found (docs/FUZZING.md); the inputs are kept as {@code finding-*}. */
class ConfigFindingsTest {

    private static InvalidConfigException refusal(String text) {
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> ValidatedConfig.of(ConfigLoader.loadString(text)));
        assertThat(t).isInstanceOf(InvalidConfigException.class);
        return (InvalidConfigException) t;
    }

    @Test
    void aNullValueNamesItsKeyInsteadOfAnNpe() {
        assertThat(refusal("isthmus.trusted-proxies = null").getMessage()).startsWith("isthmus.trusted-proxies").endsWith("must not be null");
    }

    @Test
    void pluginsThatAreNotAnObjectAreAConfigError() {
        assertThat(refusal("isthmus.plugins = 1").getMessage()).isEqualTo("isthmus.plugins: expected an object");
    }

    @Test
    void aBadDurationIsSaidWithoutJavaTypes() {
        assertThat(refusal("isthmus.splice.idle-timeout = forever").getMessage())
                .contains("cannot use 'forever': expected a duration such as 10s").doesNotContain("java.");
    }

    @Test
    void aQuotedKeyWithALineBreakStaysOneLine() {
        assertThat(refusal("isthmus { \"bad\\nkey\" = 1 }").getMessage()).isEqualTo("isthmus.bad\\nkey: unknown key");
        ValidatedConfig.of(ConfigLoader.loadString("isthmus.listen = \"127.0.0.1:1\""));
    }
}
