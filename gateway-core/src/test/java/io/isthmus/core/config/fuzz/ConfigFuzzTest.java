package io.isthmus.core.config.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.typesafe.config.Config;
import io.isthmus.core.ValidatedConfig;
import io.isthmus.core.config.ConfigLoader;
import io.isthmus.core.config.InvalidConfigException;
import io.isthmus.core.fuzz.FuzzSupport;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeAll;

/**
 * An operator's config file (the input, UTF-8) through what start-up, {@code check-config} and a reload
 * run: {@link ConfigLoader#loadString} (the file over the references, resolved) and {@link ValidatedConfig#of}
 * (the core's records, and every plugin's block: here the test plugin {@code probe}).
 *
 * <p>Properties: the file is taken or refused with an {@link InvalidConfigException}, nothing else (the
 * command line catches only that one: anything else is a stack trace instead of an answer); the refusal names
 * a key path (or the file) and reads as one line, {@code <path>: <problem>} (line breaks in a quoted key
 * shown as {@code \n}), with neither a line break nor a
 * Java class name in it.
 */
class ConfigFuzzTest {

    @BeforeAll
    static void setUp() {
        FuzzSupport.beforeFuzzTests();
    }

    @FuzzTest(maxDuration = "60s")
    void load(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        try {
            Config root = ConfigLoader.loadString(text);
            ValidatedConfig.of(root);
        } catch (InvalidConfigException e) {
            String message = e.getMessage();
            String input = FuzzSupport.hex(data);
            assertThat(e.keyPath()).as("key path for %s", input).isNotBlank();
            String prefix = (e.keyPath() + ": ").replace("\r", "\\r").replace("\n", "\\n");
            assertThat(message).as("message for %s", input).startsWith(prefix);
            assertThat(message.indexOf('\n') < 0 && message.indexOf('\r') < 0).as("one line for %s: %s", input, message).isTrue();
            assertThat(message).as("message for %s", input).doesNotContain("java.", "Exception", "com.fasterxml", "Cannot invoke");
        }
    }
}
