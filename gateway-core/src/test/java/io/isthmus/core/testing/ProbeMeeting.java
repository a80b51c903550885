package io.isthmus.core.testing;

import java.util.concurrent.ConcurrentMap;

/** The probe plugins' waiting room: who asks for a key first waits, the second gets the first. */
final class ProbeMeeting {

    private ProbeMeeting() {
    }

    /**
     * The waiter under {@code key}, taken out, or null after {@code arriving} was put there to wait: one atomic
     * step, since two partners can arrive on two event loops at the same moment.
     */
    static <T> T meet(ConcurrentMap<String, T> waiting, String key, T arriving) {
        Object[] first = new Object[1];
        waiting.compute(key, (k, waiter) -> {
            first[0] = waiter;
            return waiter == null ? arriving : null;
        });
        @SuppressWarnings("unchecked")
        T partner = (T) first[0];
        return partner;
    }
}
