package io.isthmus.core.overload;

import static io.isthmus.core.config.ConfigValueException.require;

import io.isthmus.core.config.ConfigValueException;
import java.time.Duration;

/**
 * {@code isthmus.limits.memory}: above {@code heap-high} or {@code direct-high} the gateway refuses new
 * work; it takes new work again once both are below their {@code -low} marks (hysteresis, so a reading
 * hovering at the threshold does not flap). Ratios are written as percentages ({@code "85%"}).
 */
public record MemoryLimits(boolean enabled, String heapHigh, String heapLow, String directHigh, String directLow,
                           Duration sampleInterval) {

    public MemoryLimits {
        double hh = percent("heap-high", heapHigh);
        double hl = percent("heap-low", heapLow);
        double dh = percent("direct-high", directHigh);
        double dl = percent("direct-low", directLow);
        require(hl <= hh, "heap-low", "must not exceed heap-high");
        require(dl <= dh, "direct-low", "must not exceed direct-high");
        require(!sampleInterval.isNegative() && sampleInterval.toMillis() >= 10 && sampleInterval.toSeconds() <= 60,
                "sample-interval", "must be between 10ms and 60s");
    }

    public double heapHighRatio() {
        return percent("heap-high", heapHigh);
    }

    public double heapLowRatio() {
        return percent("heap-low", heapLow);
    }

    public double directHighRatio() {
        return percent("direct-high", directHigh);
    }

    public double directLowRatio() {
        return percent("direct-low", directLow);
    }

    /** "85%" as 0.85; more than 0 and at most 100 percent. */
    static double percent(String key, String value) {
        String v = value == null ? "" : value.strip();
        if (!v.endsWith("%")) {
            throw new ConfigValueException(key, "must be a percentage such as \"85%\"");
        }
        double p;
        try {
            p = Double.parseDouble(v.substring(0, v.length() - 1).strip());
        } catch (NumberFormatException e) {
            throw new ConfigValueException(key, "must be a percentage such as \"85%\"");
        }
        require(p > 0 && p <= 100, key, "must be more than 0% and at most 100%");
        return p / 100;
    }
}
