package io.isthmus.remoted.sdk.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.isthmus.remoted.sdk.RemotedClient;
import io.isthmus.remoted.sdk.RemotedUrl;
import io.isthmus.webroute.client.WebRouteException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What RemotedUrlFuzzTest found, as plain regression tests. */
class RemotedUrlFindingsTest {

    /**
     * {@code java.net.URI} takes any run of digits for a port, so {@code rwr://k@[::]:377777777} parsed, and the
     * bad port surfaced only when the WebRoute client dialled: an IllegalArgumentException ("port out of range")
     * out of a method whose callers expect an IOException.
     */
    @ParameterizedTest
    @ValueSource(strings = {"rwr://k@[::]:377777777", "rwr://k@127.0.0.1:70000/test/", "rwrs://k@gw:65536/p"})
    void aPortOutOfRangeIsAnInvalidUrl(String url) {
        assertThatThrownBy(() -> RemotedUrl.parse(url, "rwr", "rwrs"))
                .isInstanceOfSatisfying(WebRouteException.class, e -> assertThat(e.error()).isEqualTo("invalid_url"));
        assertThatThrownBy(() -> RemotedClient.connect(url, null)).isInstanceOf(WebRouteException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"rws://k@gw:65535/p", "rws://k@gw:1/p"})
    void portsInRangeStillParse(String url) throws WebRouteException {
        assertThat(RemotedUrl.parse(url, "rws", "rwss").port()).isBetween(1, 65535);
    }
}
