package io.isthmus.webroute.handshake;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** PHP 8's loose comparison and numeric strings, as the reference applies them to version and timeout. */
class PhpNumbersTest {

    @ParameterizedTest
    @ValueSource(strings = {"1", "01", "1.0", "1.", "+1", " 1", "1 ", "1e0", "0.1e1", "001.000"})
    void versionsEqualToOne(String v) {
        assertThat(PhpNumbers.equalsOne(v)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"2", "1abc", "", "abc", "0x1", "1.1", "one", "1 1", "Infinity", "1d"})
    void versionsNotEqualToOne(String v) {
        assertThat(PhpNumbers.equalsOne(v)).isFalse();
    }

    @Test
    void aMissingVersionIsNotOne() {
        assertThat(PhpNumbers.equalsOne(null)).isFalse();
    }

    @Test
    void integerCastTruncatesAndSaturates() {
        assertThat(PhpNumbers.toLong("80")).isEqualTo(80);
        assertThat(PhpNumbers.toLong("80.9")).isEqualTo(80);
        assertThat(PhpNumbers.toLong("1e3")).isEqualTo(1000);
        assertThat(PhpNumbers.toLong("-5")).isEqualTo(-5);
        assertThat(PhpNumbers.toLong(" 90 ")).isEqualTo(90);
        assertThat(PhpNumbers.toLong("99999999999999999999999")).isEqualTo(Long.MAX_VALUE);
        assertThat(PhpNumbers.isNumeric("abc")).isFalse();
        assertThat(PhpNumbers.isNumeric(".5")).isTrue();
    }
}
