package io.isthmus.core.overload;

/** Where a {@link MemoryGuard} reads memory from: the JVM ({@link JvmMemoryProbe}) or a test's own. */
@FunctionalInterface
public interface MemoryProbe {

    /** Called on the guard's timer, never per request; must be cheap and must not block. */
    MemoryReading read();
}
