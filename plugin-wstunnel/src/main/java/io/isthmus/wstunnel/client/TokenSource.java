package io.isthmus.wstunnel.client;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Where the client's token comes from: fixed ({@code --token}) or lines on standard input, each replacing
 * the last (§7). The token is read when a connection is made, so a reconnect uses the newest line.
 */
public final class TokenSource {

    private volatile String current;
    private final boolean fromStdin;
    private final Object lock = new Object();

    private TokenSource(String fixed, boolean fromStdin) {
        this.current = fixed;
        this.fromStdin = fromStdin;
    }

    public static TokenSource fixed(String token) {
        return new TokenSource(token, false);
    }

    /** Reads lines from {@code in} on a daemon thread; {@link #await} waits for the first. */
    public static TokenSource lines(InputStream in) {
        TokenSource source = new TokenSource(null, true);
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    String t = line.trim();
                    if (!t.isEmpty()) {
                        source.set(t);
                    }
                }
            } catch (IOException e) {
                // Standard input closed: the last token stays in use.
            }
        }, "wst-client-tokens");
        reader.setDaemon(true);
        reader.start();
        return source;
    }

    public boolean fromStdin() {
        return fromStdin;
    }

    void set(String token) {
        synchronized (lock) {
            current = token;
            lock.notifyAll();
        }
    }

    /** The token now, waiting up to {@code millis} for a first one; null if none came. */
    public String await(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        synchronized (lock) {
            while (current == null) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    return null;
                }
                lock.wait(left);
            }
            return current;
        }
    }

    /** Waits up to {@code millis} for a token other than {@code old} (after a 401). */
    public String awaitNewer(String old, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        synchronized (lock) {
            while (current == null || current.equals(old)) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    return null;
                }
                lock.wait(left);
            }
            return current;
        }
    }
}
