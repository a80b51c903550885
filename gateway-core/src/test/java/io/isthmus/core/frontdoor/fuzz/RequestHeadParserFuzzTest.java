package io.isthmus.core.frontdoor.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.isthmus.core.frontdoor.HeadLimits;
import io.isthmus.core.frontdoor.RequestHeadParser;
import io.isthmus.core.fuzz.FuzzSupport;
import org.junit.jupiter.api.BeforeAll;

/**
 * The front door's request-head parser against arbitrary bytes, with the production limits.
 *
 * <p>Input: a 7-byte chunk plan, then the bytes of the connection ({@link io.isthmus.core.fuzz.FuzzSupport.Chunked}). The bytes arrive in 1 to 4
 * chunks, each offered with everything before it, as {@code HeadReader} does; the verdict must not depend on
 * where the chunks were cut. Properties in {@link HeadParserProperties}.
 */
class RequestHeadParserFuzzTest {

    static final HeadLimits LIMITS = new HeadLimits(8192, 16384, 100);

    @BeforeAll
    static void setUp() {
        FuzzSupport.beforeFuzzTests();
    }

    @FuzzTest(maxDuration = "60s")
    void offer(byte[] data) {
        HeadParserProperties.checkInput(LIMITS, data);
    }
}
