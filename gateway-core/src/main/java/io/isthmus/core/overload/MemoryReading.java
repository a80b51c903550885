package io.isthmus.core.overload;

/**
 * One sample of the memory the gateway holds: heap and direct (off-heap) bytes in use and their limits.
 * A limit of zero or less means unknown, and its ratio reads as 0.
 */
public record MemoryReading(long heapUsed, long heapMax, long directUsed, long directMax) {

    public double heapRatio() {
        return heapMax <= 0 ? 0 : (double) heapUsed / heapMax;
    }

    public double directRatio() {
        return directMax <= 0 ? 0 : (double) directUsed / directMax;
    }

    /** A reading at exactly the given ratios (tests): limits of 10^9 bytes, so the ratios read back unchanged. */
    public static MemoryReading ofRatios(double heap, double direct) {
        long g = 1_000_000_000L;
        return new MemoryReading(Math.round(heap * g), g, Math.round(direct * g), g);
    }
}
