package io.isthmus.webroute.client.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isthmus.webroute.client.WebRouteClient;
import io.isthmus.webroute.client.WebRouteException;
import io.isthmus.webroute.client.WebRouteUri;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What WebRouteUriFuzzTest found, as plain regression tests. */
class WebRouteUriFindingsTest {

    /**
     * {@code java.net.URI} takes any run of digits for a port, so {@code wr://h:066666666/} parsed, and
     * {@code WebRouteClient.connect} then threw IllegalArgumentException ("port out of range") instead of the
     * IOException its callers handle.
     */
    @ParameterizedTest
    @ValueSource(strings = {"wr://h:066666666/", "wr://127.0.0.1:70000/test", "wrs://[::1]:65536/"})
    void aPortOutOfRangeIsRefusedByTheParser(String url) {
        assertThatThrownBy(() -> WebRouteUri.parse(url))
                .isInstanceOfSatisfying(WebRouteException.class, e -> assertThat(e.error()).isEqualTo("protocol_check"));
        assertThatThrownBy(() -> WebRouteClient.builder().build().connect(url)).isInstanceOf(WebRouteException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"wr://h:65535/", "wrs://h/"})
    void portsInRangeStillParse(String url) throws WebRouteException {
        assertThat(WebRouteUri.parse(url).port()).isBetween(1, 65535);
    }
}
