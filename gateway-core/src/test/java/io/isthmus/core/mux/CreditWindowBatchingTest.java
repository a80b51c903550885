package io.isthmus.core.mux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** {@link CreditWindow#batching}: grants wait for the threshold even at flush points; nothing else changes. */
class CreditWindowBatchingTest {

    @Test
    void flushPointsGrantOnlyFromTheThresholdAndTakeAllPaysTheRest() {
        CreditWindow w = CreditWindow.batching(CreditWindow.Unit.BYTES, 400, 100);
        assertThat(w.batching()).isTrue();
        assertThat(w.received(250)).isTrue();
        w.consumed(60);
        assertThat(w.takeGrant(true)).as("60 < 100 at a flush point").isZero();
        w.consumed(60);
        assertThat(w.takeGrant(true)).isEqualTo(120);
        assertThat(w.outstanding()).isEqualTo(130);
        w.consumed(30);
        assertThat(w.takeGrant(false)).isZero();
        assertThat(w.takeAll()).isEqualTo(30);
        assertThat(w.outstanding()).isEqualTo(100);
        assertThat(w.takeAll()).isZero();
    }

    @Test
    void anUnconsumedWindowIsNeverGrantedAndAnOverrunIsStillRefused() {
        CreditWindow w = CreditWindow.batching(CreditWindow.Unit.BYTES, 400, 100);
        assertThat(w.received(400)).isTrue();
        assertThat(w.takeGrant(true)).as("nothing delivered, nothing granted").isZero();
        assertThat(w.received(1)).as("overrun").isFalse();
        w.consumed(400);
        assertThat(w.takeGrant(true)).isEqualTo(400);
        assertThat(w.remaining()).isEqualTo(400);
    }

    @Test
    void aSmallerPeerWindowLowersTheThresholdButNeverRaisesIt() {
        CreditWindow w = CreditWindow.batching(CreditWindow.Unit.BYTES, 4 << 20, 1 << 20);
        w.lowerGrantThreshold(1024);
        assertThat(w.grantThreshold()).isEqualTo(1024);
        w.lowerGrantThreshold(1 << 30);
        assertThat(w.grantThreshold()).isEqualTo(1024);
        w.lowerGrantThreshold(0);
        assertThat(w.grantThreshold()).isEqualTo(1);
        assertThat(w.received(1024)).isTrue();
        w.consumed(1024);
        assertThat(w.takeGrant(true)).isEqualTo(1024);
    }

    @Test
    void theOtherKindsAreUnchanged() {
        CreditWindow adding = new CreditWindow(CreditWindow.Unit.BYTES, 100, 50);
        assertThat(adding.batching()).isFalse();
        assertThat(adding.received(10)).isTrue();
        adding.consumed(10);
        assertThat(adding.takeGrant(true)).as("a flush point grants whatever was consumed").isEqualTo(10);
        assertThatThrownBy(() -> CreditWindow.replacing(CreditWindow.Unit.PACKETS, 4, 2).takeAll())
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> CreditWindow.batching(CreditWindow.Unit.BYTES, 10, 11))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
