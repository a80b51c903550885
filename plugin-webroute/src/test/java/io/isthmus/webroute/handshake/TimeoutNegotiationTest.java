package io.isthmus.webroute.handshake;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The negotiation table of the protocol notes §4 and conformance case 12, with the observed values. */
class TimeoutNegotiationTest {

    @ParameterizedTest(name = "default {0}s, A={1}, B={2} -> {3}s")
    @CsvSource(value = {
            "60, 45, 65, 60",
            "60, 80, 120, 80",
            "60, abc, 90, 60",
            "60, NULL, NULL, 60",
            "60, NULL, 300, 60",
            "60, 61, 62, 61",
            "4, 5, 10, 5",
            "4, 1, 2, 4",
            "4, 9, abc, 4",
            "4, 9.7, 12, 9",
            "4, -20, 30, 4",
            "4, 1e3, 2e3, 1000"}, nullValues = "NULL")
    void negotiatedTimeouts(long serverDefault, String a, String b, long expected) {
        assertThat(TimeoutNegotiation.negotiate(Duration.ofSeconds(serverDefault), a, b)).isEqualTo(Duration.ofSeconds(expected));
        assertThat(TimeoutNegotiation.negotiate(Duration.ofSeconds(serverDefault), b, a)).isEqualTo(Duration.ofSeconds(expected));
    }

    @ParameterizedTest
    @CsvSource({"99999999999999999999", "1e300"})
    void absurdValuesStaySchedulable(String huge) {
        Duration d = TimeoutNegotiation.negotiate(Duration.ofSeconds(60), huge, huge);
        assertThat(d).isEqualTo(Duration.ofDays(365));
        assertThat(d.toNanos()).isPositive();
    }
}
