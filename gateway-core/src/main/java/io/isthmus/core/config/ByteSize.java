package io.isthmus.core.config;

/** A size in bytes, written in config with HOCON's units ({@code 16k}, {@code 1 MiB}). */
public record ByteSize(long bytes) {

    public ByteSize {
        if (bytes < 0) {
            throw new IllegalArgumentException("a size cannot be negative");
        }
    }

    public static ByteSize ofBytes(long bytes) {
        return new ByteSize(bytes);
    }

    public int toIntBytes() {
        return (int) Math.min(Integer.MAX_VALUE, bytes);
    }

    @Override
    public String toString() {
        return bytes + "B";
    }
}
