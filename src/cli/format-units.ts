/**
 * Human units for progress output: bytes (binary prefixes) and durations.
 */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const

/** `1.5 MiB`. Accepts a bigint (WAL lag). */
export function formatBytes(bytes: number | bigint): string {
  let n = Number(bytes)
  let unit = 0
  while (n >= 1024 && unit < UNITS.length - 1) {
    n /= 1024
    unit++
  }
  return `${unit === 0 ? n.toFixed(0) : n.toFixed(1)} ${UNITS[unit] ?? 'B'}`
}

/** `0.4s`, `42s`, `3m05s`, `2h07m`. */
export function formatSeconds(seconds: number): string {
  if (seconds < 10) return `${Math.max(0, seconds).toFixed(1)}s`
  const s = Math.round(seconds)
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`
}
