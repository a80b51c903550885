package io.isthmus.core.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Seeded random payloads for integrity tests: one side streams them and keeps a SHA-256, the other side
 * digests what arrives, and the two digests must match.
 */
public final class RandomPayloads {

    /** What was sent or received: the SHA-256 of the bytes and how many there were. */
    public record Digest(byte[] digest, long bytes) {
    }

    /** What to do once everything is written (e.g. a half-close); may throw. */
    public interface Then {
        Then NOTHING = () -> { };

        void run() throws IOException;
    }

    private static final int CHUNK = 256 * 1024;

    private RandomPayloads() {
    }

    /** Writes {@code bytes} random bytes from {@code seed}, flushes, then runs {@code then}. */
    public static CompletableFuture<Digest> send(OutputStream out, long bytes, long seed, Executor pool, Then then) {
        return send(out, bytes, seed, pool, bytes, Then.NOTHING, then);
    }

    /**
     * Like {@link #send(OutputStream, long, long, Executor, Then)}, and once {@code pauseAt} bytes are written
     * and flushed, runs {@code atPause} (e.g. waits for the other direction) before writing the rest; the
     * digest covers all {@code bytes}.
     */
    public static CompletableFuture<Digest> send(OutputStream out, long bytes, long seed, Executor pool,
                                                 long pauseAt, Then atPause, Then then) {
        if (pauseAt % CHUNK != 0 && pauseAt != bytes) {
            throw new IllegalArgumentException("pause on a chunk boundary (" + CHUNK + " bytes)");
        }
        return CompletableFuture.supplyAsync(() -> {
            try {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                SplittableRandom r = new SplittableRandom(seed);
                byte[] chunk = new byte[CHUNK];
                long left = bytes;
                while (left > 0) {
                    if (bytes - left == pauseAt) {
                        out.flush();
                        atPause.run();
                    }
                    int n = (int) Math.min(chunk.length, left);
                    r.nextBytes(chunk);
                    out.write(chunk, 0, n);
                    md.update(chunk, 0, n);
                    left -= n;
                }
                out.flush();
                then.run();
                return new Digest(md.digest(), bytes);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, pool);
    }

    /** Digests what arrives until EOF or until {@code maxBytes} (use {@link Long#MAX_VALUE} for "until EOF"). */
    public static CompletableFuture<Digest> receive(InputStream in, long maxBytes, Executor pool) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                byte[] buf = new byte[CHUNK];
                long got = 0;
                while (got < maxBytes) {
                    int n = in.read(buf, 0, (int) Math.min(buf.length, maxBytes - got));
                    if (n < 0) {
                        break;
                    }
                    md.update(buf, 0, n);
                    got += n;
                }
                return new Digest(md.digest(), got);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, pool);
    }
}
