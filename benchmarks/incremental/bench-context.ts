/** What every case of bench:incremental gets: the pair, the two replicated sides, pgferry's process. */
import os from 'node:os'
import type { Cluster } from '../../test/harness/cluster.js'
import type { FerryChild } from '../lib/ferry-child.js'

export type Who = 'pgferry' | 'native'

/** One replicated source database and, on the target, the database of the same name. */
export interface Side {
  readonly who: Who
  readonly db: string
  /** Its logical slot on the source, for lag in bytes. */
  readonly slot: string
}

export interface BenchContext {
  readonly source: Cluster
  readonly target: Cluster
  /** pgferry, running in its own process: its memory is what `rss_mb` reports. */
  readonly ferry: FerryChild
  readonly sides: Readonly<Record<Who, Side>>
  readonly rows: number
  readonly reps: number
  /** Seconds a bulk step may take before it counts as timed out. */
  readonly bulkTimeoutS: number
  /**
   * Stop pgferry for the rest of the run: after a timed-out step its apply would otherwise keep
   * both cores busy under every later measurement. Later pgferry measurements then report `nan`.
   */
  abortFerry(): Promise<void>
  readonly ferryAborted: () => boolean
}

/** A, B, B, A, A, B, …: neither side always goes first (warmer caches, later autovacuum). */
export function interleave(reps: number): Who[] {
  const order: Who[] = []
  for (let i = 0; i < reps; i++)
    order.push(
      ...(i % 2 === 0 ? (['pgferry', 'native'] as const) : (['native', 'pgferry'] as const)),
    )
  return order
}

/**
 * Server settings of the bulk benchmarks' pair: room for a million-row transaction without
 * checkpoints in the middle of a measurement.
 */
export const BULK_SERVER_SETTINGS = {
  shared_buffers: '256MB',
  max_wal_size: '8GB',
  checkpoint_timeout: '30min',
} as const

export const load1 = (): string => (os.loadavg()[0] ?? NaN).toFixed(2)

/** Run `fn` for `side`, counting pgferry's memory towards the case's peak while it is the one working. */
export function onSide<T>(ctx: BenchContext, side: Side, fn: () => Promise<T>): Promise<T> {
  return side.who === 'pgferry' ? ctx.ferry.during(fn) : fn()
}
