/**
 * @module bench/lib/stats
 * The few statistics the benchmark reports: quantiles (linear interpolation between closest ranks,
 * as numpy's default), the median and the interquartile range.
 */

/** The q-quantile (0..1) of numbers; NaN for none. */
export function quantile(values, q) {
  if (!values.length) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export const median = (values) => quantile(values, 0.5);

/** [first quartile, third quartile]. */
export const iqr = (values) => [quantile(values, 0.25), quantile(values, 0.75)];

export function round(x, digits = 3) {
  if (!Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
