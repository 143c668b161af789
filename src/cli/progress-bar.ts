/**
 * A text progress bar, drawn by hand (no dependency): `[#########...........]`.
 */

/** Width of the bar between the brackets. */
export const PROGRESS_BAR_WIDTH = 24

/** The bar for `percent` (0–100, clamped). */
export function progressBar(percent: number, width = PROGRESS_BAR_WIDTH): string {
  const p = Number.isFinite(percent) ? Math.min(100, Math.max(0, percent)) : 0
  const filled = Math.round((p / 100) * width)
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`
}
