package io.isthmus.webroute.handshake;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The accept vectors of the protocol notes §1, observed from the reference server and checked with openssl. */
class WebRouteAcceptTest {

    @ParameterizedTest
    @CsvSource(value = {
            "6fa1a1490ee0fe617b36530054e984786897e022, FgtwdI1ph0NTOVQts+nD5u0AcXs=",
            "CLIENTID1, bV4dWnz1RstmpZC93aCgnL+Saog=",
            "EID, P5AFb58og5Z2r+aCC3VhhRqNJOI=",
            "'', 3IApFu3zUWq2CC6CORa7fUhW0C4="})
    void acceptValuesMatchTheReference(String id, String accept) {
        assertThat(WebRouteAccept.of(id)).isEqualTo(accept);
    }

    @ParameterizedTest
    @CsvSource({"6fa1a1490ee0fe617b36530054e984786897e022", "x"})
    void the101IsExactly127Bytes(String id) {
        String ok = WebRouteResponses.switchingProtocols(id);
        assertThat(ok.getBytes(StandardCharsets.ISO_8859_1)).hasSize(127);
        assertThat(ok).startsWith("HTTP/1.1 101 Switching Protocols\r\nUpgrade: webroute\r\nConnection: Upgrade\r\n")
                .endsWith("Sec-WebRoute-Accept: " + WebRouteAccept.of(id) + "\r\n\r\n");
    }
}
