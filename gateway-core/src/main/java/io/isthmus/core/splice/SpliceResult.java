package io.isthmus.core.splice;

import java.time.Duration;

/**
 * How a splice ended.
 *
 * @param outcome         {@code completed} (both sides ended their input), {@code closed} (a side closed),
 *                        {@code reset} (a side failed), {@code idle} (idle timeout) or {@code aborted} (drain deadline)
 * @param upstreamBytes   bytes moved from side A to side B
 * @param downstreamBytes bytes moved from side B to side A
 */
public record SpliceResult(String outcome, long upstreamBytes, long downstreamBytes, Duration duration, Throwable cause) {
}
