// Medians and percentiles of measured times, one rule each for the page and the scripts.
// Owns: only arithmetic. Must not touch: anything else.

/** The nearest-rank percentile `p` (0..1) of a list of numbers, or null when it is empty. */
export function percentile(values, p) {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/** The median of a list of numbers (the mean of the two middle ones for an even count), or null. */
export function median(values) {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
