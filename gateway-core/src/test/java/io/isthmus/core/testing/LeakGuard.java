package io.isthmus.core.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty's leak detector (PARANOID in every test JVM, set by the parent pom)
 * reports a leaked buffer. Registered for every test through JUnit's extension auto-detection.
 *
 * <p>Netty only reports a leak when the leaked buffer has been collected and a later allocation polls
 * the detector, so after each class this forces a collection and allocates until the queue is drained.
 */
public final class LeakGuard implements BeforeAllCallback, AfterAllCallback {

    private static final List<String> LEAKS = new CopyOnWriteArrayList<>();

    static {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingFactory());
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        LEAKS.clear();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        List<String> leaks = drainReports();
        if (!leaks.isEmpty()) {
            throw new AssertionError("Netty reported leaked buffers in " + context.getDisplayName() + ":\n"
                    + String.join("\n---\n", leaks));
        }
    }

    /** Collects garbage, polls every detector, and returns (and forgets) the leaks reported so far. */
    public static List<String> drainReports() {
        for (int round = 0; round < 3; round++) {
            System.gc();
            System.runFinalization();
            for (int i = 0; i < 64; i++) {
                ByteBuf probe = ByteBufAllocator.DEFAULT.directBuffer(16);
                probe.release();
                ByteBuf heap = ByteBufAllocator.DEFAULT.heapBuffer(16);
                heap.release();
            }
        }
        List<String> reports = List.copyOf(LEAKS);
        LEAKS.clear();
        return reports;
    }

    /** Makes every detector record its reports for this guard, beside Netty's own log line. */
    private static final class RecordingFactory extends ResourceLeakDetectorFactory {
        @Override
        @SuppressWarnings("deprecation")
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval, long maxActive) {
            return new ResourceLeakDetector<>(resource, samplingInterval) {
                @Override
                protected void reportTracedLeak(String resourceType, String records) {
                    LEAKS.add(resourceType + " leaked:" + records);
                    super.reportTracedLeak(resourceType, records);
                }

                @Override
                protected void reportUntracedLeak(String resourceType) {
                    LEAKS.add(resourceType + " leaked (untraced)");
                    super.reportUntracedLeak(resourceType);
                }
            };
        }
    }
}
