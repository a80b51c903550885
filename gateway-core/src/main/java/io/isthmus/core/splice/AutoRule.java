package io.isthmus.core.splice;

/**
 * {@code isthmus.splice.zero-copy = auto}: when a link moves between the copy path and the kernel path.
 *
 * @param bulkReadSize     a read (copy path) or a turn of the splice loop (kernel path) that took at least
 *                         this many bytes counts as bulk
 * @param bulkReads        bulk reads in a row on one direction that move the pair to the kernel path
 * @param interactiveTurns small, fully delivered turns in a row (both directions together) that move it back;
 *                         0: never back
 */
record AutoRule(int bulkReadSize, int bulkReads, int interactiveTurns) {
}
