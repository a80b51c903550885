package io.isthmus.core.egress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The narrowing allow-list a plugin endpoint adds on top of the egress policy. */
class TargetAllowListTest {

    @Test
    void emptyListsAllowEverything() {
        assertThat(TargetAllowList.any().permits(new EgressTarget("anything.example", 1))).isTrue();
        assertThat(TargetAllowList.of(List.of(), List.of()).permits(new EgressTarget("10.0.0.1", 22))).isTrue();
    }

    @Test
    void namesMatchCanonicallyAndAddressesOnlyByCidrInAnySpelling() {
        TargetAllowList list = TargetAllowList.of(List.of("vnc.example.com", "*.desks.example", "10.20.0.0/24"), List.of());
        assertThat(list.permits(new EgressTarget("VNC.Example.com.", 5900))).isTrue();
        assertThat(list.permits(new EgressTarget("a.desks.example", 5900))).isTrue();
        assertThat(list.permits(new EgressTarget("desks.example", 5900))).isFalse();
        assertThat(list.permits(new EgressTarget("10.20.0.7", 5900))).isTrue();
        assertThat(list.permits(new EgressTarget("::ffff:10.20.0.7", 5900))).isFalse();
        assertThat(list.permits(new EgressTarget("10.21.0.7", 5900))).isFalse();
        assertThat(list.permits(new EgressTarget("other.example", 5900))).isFalse();
        assertThat(list.permits(new EgressTarget("not a host", 5900))).isFalse();
    }

    @Test
    void portsMustBeListedWhenAnyAre() {
        TargetAllowList list = TargetAllowList.of(List.of(), List.of("5900-5999", "22"));
        assertThat(list.permits(new EgressTarget("h.example", 5901))).isTrue();
        assertThat(list.permits(new EgressTarget("h.example", 22))).isTrue();
        assertThat(list.permits(new EgressTarget("h.example", 80))).isFalse();
    }

    @Test
    void badEntriesNameTheirIndex() {
        assertThatThrownBy(() -> TargetAllowList.of(List.of("ok.example", "bad host"), List.of()))
                .hasMessageStartingWith("allow-hosts[1]");
        assertThatThrownBy(() -> TargetAllowList.of(List.of(), List.of("80", "x")))
                .hasMessageStartingWith("allow-ports[1]");
    }
}
