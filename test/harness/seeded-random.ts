/**
 * A small seeded PRNG (mulberry32) for the torture loop: the same seed gives the same schema sizes,
 * writer operations and kill point, so a failing seed can be replayed with `SEED=k`.
 */

export interface SeededRandom {
  /** A float in [0, 1). */
  next(): number
  /** An integer in [lo, hi], both included. */
  int(lo: number, hi: number): number
  /** One element of `items`. */
  pick<T>(items: readonly T[]): T
  /** True with probability `p`. */
  chance(p: number): boolean
}

export function seededRandom(seed: number): SeededRandom {
  let a = seed >>> 0 || 0x9e3779b9
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (items) => items[Math.floor(next() * items.length)] as (typeof items)[number],
    chance: (p) => next() < p,
  }
}
