package io.isthmus.wstunnel.client;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The Go client's reconnect delays (websocktunnel.md §7): start at 500 ms, grow by 1.5, each delay drawn
 * uniformly from [d, 2d] (±50 % jitter around 1.5 d), capped at 60 s. Unlike the Go client it never gives
 * up: a client that outlives a long outage serves again without a supervisor.
 */
public final class Backoff {

    private final long initialMillis;
    private final long maxMillis;
    private long current;

    public Backoff(Duration initial, Duration max) {
        this.initialMillis = initial.toMillis();
        this.maxMillis = max.toMillis();
        this.current = initialMillis;
    }

    public static Backoff goDefaults() {
        return new Backoff(Duration.ofMillis(500), Duration.ofSeconds(60));
    }

    /** The next delay, and the base grows. */
    public Duration next() {
        long d = current;
        long delay = Math.min(maxMillis, d + ThreadLocalRandom.current().nextLong(d + 1));
        current = Math.min(maxMillis, (long) (current * 1.5));
        return Duration.ofMillis(delay);
    }

    /** A session came up: the next outage starts from the beginning. */
    public void reset() {
        current = initialMillis;
    }
}
