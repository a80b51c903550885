package io.isthmus.core.fuzz;

import io.netty.util.ResourceLeakDetector;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Small helpers shared by the Jazzer fuzz tests (docs/FUZZING.md); in the test-jar, so the plugins' fuzz
 * tests use them too.
 */
public final class FuzzSupport {

    private FuzzSupport() {
    }

    /**
     * {@code LeakGuard} forces PARANOID leak detection in every test JVM. That is right for the regression
     * run, but it records a stack trace per buffer and halves the fuzzing speed, so the {@code fuzz} profile
     * asks for SIMPLE through {@code -Dio.netty.leakDetection.level}, and this honours it.
     */
    public static void honourLeakLevelProperty() {
        String level = System.getProperty("io.netty.leakDetection.level");
        if (level != null) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.valueOf(level.strip().toUpperCase(Locale.ROOT)));
        }
    }

    /** The input in hex, for assertion messages (a finding must be reproducible from the report alone). */
    public static String hex(byte[] data) {
        return HexFormat.of().formatHex(data);
    }

    /**
     * Input split into a chunk plan and a payload: {@code data[0] % 4 + 1} chunks, cut at three 16-bit
     * offsets (bytes 1..6, big-endian, each modulo {@code payload.length + 1}). Inputs shorter than the
     * 7-byte prefix are one chunk of nothing but the payload that is there.
     */
    public record Chunked(byte[] payload, int[] cuts) {

        public static final int PREFIX = 7;

        public static Chunked of(byte[] data) {
            if (data.length < PREFIX) {
                byte[] payload = Arrays.copyOfRange(data, Math.min(1, data.length), data.length);
                return new Chunked(payload, new int[] {0, payload.length});
            }
            byte[] payload = Arrays.copyOfRange(data, PREFIX, data.length);
            int chunks = (data[0] & 0xFF) % 4 + 1;
            int[] cuts = new int[chunks + 1];
            for (int i = 1; i < chunks; i++) {
                int raw = (data[2 * i - 1] & 0xFF) << 8 | (data[2 * i] & 0xFF);
                cuts[i] = raw % (payload.length + 1);
            }
            cuts[chunks] = payload.length;
            Arrays.sort(cuts, 1, chunks);
            return new Chunked(payload, cuts);
        }

        public int chunks() {
            return cuts.length - 1;
        }

        public byte[] chunk(int i) {
            return Arrays.copyOfRange(payload, cuts[i], cuts[i + 1]);
        }

        /** The 7-byte prefix that selects {@code chunks} chunks cut at {@code cuts} (for writing seeds and regressions). */
        public static byte[] prefix(int... cuts) {
            if (cuts.length > 3) {
                throw new IllegalArgumentException("at most 3 cuts");
            }
            byte[] p = new byte[PREFIX];
            p[0] = (byte) cuts.length;
            for (int i = 0; i < cuts.length; i++) {
                p[1 + 2 * i] = (byte) (cuts[i] >>> 8);
                p[2 + 2 * i] = (byte) cuts[i];
            }
            return p;
        }
    }
}
