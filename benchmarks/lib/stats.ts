/** Small statistics for benchmark samples. */

/** Median of the samples (mean of the two middle ones for an even count); NaN when empty. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** Nearest-rank percentile (p in 0–100); NaN when empty. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const rank = Math.max(1, Math.ceil((p / 100) * s.length))
  return s[Math.min(rank, s.length) - 1]!
}

/** A number for a RESULT field: fixed decimals, `nan` when not measured. */
export function fmt(x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : 'nan'
}

/** A whole number for a RESULT field, `nan` when not measured. */
export function int(x: number): string {
  return Number.isFinite(x) ? String(Math.round(x)) : 'nan'
}
