package io.isthmus.core.fuzz;

import io.netty.util.ResourceLeakDetector;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import java.util.stream.IntStream;

/**
 * Small helpers shared by the Jazzer fuzz tests (docs/FUZZING.md); in the test-jar, so the plugins' fuzz
 * tests use them too.
 */
public final class FuzzSupport {

    private FuzzSupport() {
    }

    /**
     * Call from every fuzz test class's {@code @BeforeAll}: it runs before Jazzer sets itself up for the class.
     *
     * <p>Without {@code JAZZER_FUZZ} (every build: the seeds and findings replayed as tests) Jazzer's hooks are
     * switched off unless {@code -Djazzer.hooks} says otherwise. They are what fuzzing needs (coverage and
     * comparison tracing, the sanitizers), but installing them in a JVM that other tests have filled with
     * classes costs some 15 s per module, and the properties these tests check are their own assertions.
     */
    public static void beforeFuzzTests() {
        String fuzz = System.getenv("JAZZER_FUZZ");
        if ((fuzz == null || fuzz.isEmpty()) && System.getProperty("jazzer.hooks") == null) {
            System.setProperty("jazzer.hooks", "false");
        }
        honourLeakLevelProperty();
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
     * Input split into a chunk plan and a payload: {@code data[0] % 4 + 1} chunks, cut at up to three
     * offsets given by bytes 1..6 as big-endian 16-bit values: below 0x8000 an offset from the start, from
     * 0x8000 an offset {@code value - 0x8000} back from the end (so that "two bytes before the end" is as
     * easy for the fuzzer to find as "two bytes after the start"), each modulo {@code payload.length + 1}.
     * With the top bit of byte 0 set, the payload trickles in one byte per chunk instead: every cut at once.
     * Inputs shorter than the 7-byte prefix are one chunk of what there is after the first byte.
     */
    public record Chunked(byte[] payload, int[] cuts) {

        public static final int PREFIX = 7;

        public static Chunked of(byte[] data) {
            if (data.length < PREFIX) {
                byte[] payload = Arrays.copyOfRange(data, Math.min(1, data.length), data.length);
                return new Chunked(payload, new int[] {0, payload.length});
            }
            byte[] payload = Arrays.copyOfRange(data, PREFIX, data.length);
            if ((data[0] & 0x80) != 0) {
                int[] everyByte = payload.length == 0 ? new int[] {0, 0} : IntStream.rangeClosed(0, payload.length).toArray();
                return new Chunked(payload, everyByte);
            }
            int chunks = (data[0] & 0xFF) % 4 + 1;
            int[] cuts = new int[chunks + 1];
            for (int i = 1; i < chunks; i++) {
                int raw = (data[2 * i - 1] & 0xFF) << 8 | (data[2 * i] & 0xFF);
                int offset = (raw & 0x7FFF) % (payload.length + 1);
                cuts[i] = raw < 0x8000 ? offset : payload.length - offset;
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
            if (cuts.length > 3 || java.util.Arrays.stream(cuts).anyMatch(c -> c < 0 || c >= 0x8000)) {
                throw new IllegalArgumentException("at most 3 cuts, each from the start and below 0x8000");
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
