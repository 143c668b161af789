/**
 * steady: pgbench TPC-B (`-c 4 -j 2`, STEADY_SECONDS, scale SCALE) against the source, three times:
 * with nothing replicating its database (`baseline_tps`, run before either replication starts),
 * with only pgferry, with only native (each on its own source database; the other side's walsender
 * only reads and skips that WAL).
 *
 * A heartbeat row on the source is set to clock_timestamp() every 200 ms; once the target's copy is
 * within 1 s (the side is caught up), pgbench starts, and every 200 ms the target's
 * copy gives the lag in seconds (both clusters share this machine's clock) and the source gives the
 * lag in bytes, `pg_current_wal_lsn() − confirmed_flush_lsn` of the side's slot. Catch-up is the time
 * from pgbench's exit until a heartbeat committed right after it shows on the target; apply keeps
 * commit order, so by then everything pgbench did is applied.
 */
import type pg from 'pg'
import type { Cluster } from '../../test/harness/cluster.js'
import { peakFields, type MemoryPeak } from '../lib/memory-peak.js'
import { pgbench } from '../lib/pgbench.js'
import { fmt, percentile } from '../lib/stats.js'
import { sleep, waitFor } from '../lib/wait-for.js'
import { load1, onSide, type BenchContext, type Side } from './bench-context.js'

export const STEADY_SECONDS = Number(process.env.STEADY_SECONDS ?? 60)
export const SCALE = Number(process.env.SCALE ?? 10)
const TICK_MS = 200

const pgbenchArgs = (): string[] => ['-n', '-c', '4', '-j', '2', '-T', String(STEADY_SECONDS)]

/** Before each run: the same starting point without replicating a TRUNCATE of the history. */
async function prepare(source: Cluster, db: string): Promise<void> {
  await source.query(
    `VACUUM ANALYZE pgbench_branches, pgbench_tellers, pgbench_accounts, pgbench_history`,
    [],
    db,
  )
  await source.query(`CHECKPOINT`)
}

/** Updates the heartbeat every 200 ms until stopped. */
function heartbeat(client: pg.Client): { stop(): Promise<void> } {
  let running = true
  const loop = (async () => {
    while (running) {
      await client.query(`UPDATE hb SET ts = clock_timestamp() WHERE id = 1`)
      await sleep(TICK_MS)
    }
  })()
  return {
    stop: async () => {
      running = false
      await loop
    },
  }
}

/** pgbench with no replication of its database; returns its TPS. */
export async function runSteadyBaseline(source: Cluster, db: string): Promise<number> {
  await prepare(source, db)
  const r = await pgbench(source, db, pgbenchArgs())
  console.log(`  baseline steady: ${r.tps.toFixed(1)} tps`)
  return r.tps
}

export interface SteadyRun {
  readonly tps: number
  readonly lagS: number[]
  readonly lagBytes: number[]
  readonly catchupS: number
}

export async function runSteadySide(ctx: BenchContext, side: Side): Promise<SteadyRun> {
  await prepare(ctx.source, side.db)
  const beat = await ctx.source.client(side.db)
  const srcProbe = await ctx.source.client(side.db)
  const tgt = await ctx.target.client(side.db)
  const hb = heartbeat(beat)
  try {
    // Start from a caught-up target, so the first samples measure this run and not whatever the
    // side still had to apply (or a heartbeat value left from the initial copy).
    await waitFor(tgt, `SELECT clock_timestamp() - ts < interval '1 s' FROM hb WHERE id = 1`, [], {
      intervalMs: 100,
      timeoutMs: 600_000,
    })
    const lagS: number[] = []
    const lagBytes: number[] = []
    let sampling = true
    const sampler = (async () => {
      while (sampling) {
        const t = performance.now()
        const a = await tgt.query<{ s: number }>(
          `SELECT extract(epoch FROM clock_timestamp() - ts)::float8 AS s FROM hb WHERE id = 1`,
        )
        const b = await srcProbe.query<{ b: number }>(
          `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::float8 AS b FROM pg_replication_slots WHERE slot_name = $1`,
          [side.slot],
        )
        if (a.rows[0] !== undefined) lagS.push(a.rows[0].s)
        if (b.rows[0] !== undefined) lagBytes.push(b.rows[0].b)
        await sleep(Math.max(0, TICK_MS - (performance.now() - t)))
      }
    })()
    const run = await onSide(ctx, side, async () => {
      const r = await pgbench(ctx.source, side.db, pgbenchArgs())
      const end = performance.now()
      sampling = false
      await sampler
      await hb.stop()
      const m = await beat.query<{ ts: string }>(
        `UPDATE hb SET ts = clock_timestamp() WHERE id = 1 RETURNING ts::text AS ts`,
      )
      await waitFor(tgt, `SELECT ts >= $1::timestamptz FROM hb WHERE id = 1`, [m.rows[0]!.ts], {
        intervalMs: 20,
      })
      return { tps: r.tps, catchupS: (performance.now() - end) / 1000 }
    })
    console.log(
      `  ${side.who} steady: ${run.tps.toFixed(1)} tps, lag p95 ${fmt(percentile(lagS, 95))} s, catch-up ${fmt(run.catchupS)} s`,
    )
    return { ...run, lagS, lagBytes }
  } finally {
    await hb.stop()
    await beat.end()
    await srcProbe.end()
    await tgt.end()
  }
}

export function steadyResult(
  ours: SteadyRun,
  theirs: SteadyRun,
  baselineTps: number,
  start: string,
  memory: MemoryPeak,
): string {
  const fields = (prefix: string, r: SteadyRun): string =>
    [
      `${prefix}lag_p50_s=${fmt(percentile(r.lagS, 50))}`,
      `${prefix}lag_p95_s=${fmt(percentile(r.lagS, 95))}`,
      `${prefix}lag_max_s=${fmt(percentile(r.lagS, 100))}`,
      `${prefix}lag_p95_bytes=${Math.round(percentile(r.lagBytes, 95))}`,
      `${prefix}lag_max_bytes=${Math.round(percentile(r.lagBytes, 100))}`,
      `${prefix}catchup_s=${fmt(r.catchupS)}`,
      `${prefix}tps=${fmt(r.tps, 1)}`,
      `${prefix}samples=${r.lagS.length}`,
    ].join(' ')
  return `RESULT name=incremental case=steady seconds=${STEADY_SECONDS} scale=${SCALE} ${fields('', ours)} ${fields('native_', theirs)} baseline_tps=${fmt(baselineTps, 1)} load1_start=${start} load1=${load1()} ${peakFields(memory)}`
}
