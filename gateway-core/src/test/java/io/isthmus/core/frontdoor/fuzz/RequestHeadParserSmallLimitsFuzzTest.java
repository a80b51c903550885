package io.isthmus.core.frontdoor.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.isthmus.core.frontdoor.HeadLimits;
import io.isthmus.core.fuzz.FuzzSupport;
import org.junit.jupiter.api.BeforeAll;

/**
 * The same properties as {@link RequestHeadParserFuzzTest} with limits small enough (a 64-byte request line,
 * 256 bytes of fields, 8 fields) that the fuzzer's short inputs reach every limit check, and every chunk cut
 * around one. Input format as there.
 */
class RequestHeadParserSmallLimitsFuzzTest {

    static final HeadLimits LIMITS = new HeadLimits(64, 256, 8);

    @BeforeAll
    static void setUp() {
        FuzzSupport.beforeFuzzTests();
    }

    @FuzzTest(maxDuration = "60s")
    void offer(byte[] data) {
        HeadParserProperties.checkInput(LIMITS, data);
    }
}
