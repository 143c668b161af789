/**
 * The bulk cases: one source transaction of ROWS rows — INSERT, UPDATE of a non-key column, UPDATE
 * of the key, DELETE — on a table with a primary key (`t_pk`) and on a REPLICA IDENTITY FULL table
 * without one (`t_full`, with a plain index on id that the target may use for its lookups: without
 * any index every UPDATE/DELETE row would be a sequential scan, for native and pgferry alike).
 *
 * Time = from the source COMMIT returning until the target shows the whole effect. CPU seconds
 * (`cpu_s`, `native_cpu_s`: medians per process group, read from /proc, proc-cpu.ts) = from BEGIN,
 * since a streamed transaction is decoded and applied while it runs: they show where the work goes
 * whatever the machine's load, where the seconds depend on it. One "chain" of
 * the statements runs on one side at a time, sides interleaved A B B A, and the table is TRUNCATEd
 * (replicated) after each chain, so every chain starts from an empty table.
 *
 * A step still unapplied after BULK_TIMEOUT_S is reported with `timed_out=1` and the rate of the
 * rows that were visible on the target by then (the apply commits in batches); pgferry is then
 * stopped for the rest of the run (BenchContext.abortFerry), since its apply would go on competing
 * for the CPU with every later measurement.
 */
import type pg from 'pg'
import {
  higherPeak,
  NO_PEAK,
  peakFields,
  spaceFields,
  type MemoryPeak,
} from '../lib/memory-peak.js'
import { ProcCpu } from '../lib/proc-cpu.js'
import { fmt, int, median } from '../lib/stats.js'
import { WaitSampler } from './wait-sampler.js'
import { waitFor, WaitTimeout } from '../lib/wait-for.js'
import {
  interleave,
  load1,
  onSide,
  type BenchContext,
  type Side,
  type Who,
} from './bench-context.js'

export const BULK_KINDS = ['insert', 'update', 'update_key', 'delete'] as const
export type BulkKind = (typeof BULK_KINDS)[number]
export const BULK_TABLES = { pk: 't_pk', full: 't_full' } as const

export const bulkCaseName = (kind: BulkKind, table: keyof typeof BULK_TABLES): string =>
  `bulk_${kind}_${table}`

export interface Step {
  readonly sql: string
  /** A cheap index lookup that turns true at the statement's last row. */
  readonly probe: string
  /**
   * Rows of the statement visible on the target. Exact because the step before it is complete:
   * the table then holds exactly ROWS rows in the previous step's state.
   */
  readonly applied: string
}

export function steps(table: string, rows: number): Record<BulkKind, Step> {
  return {
    insert: {
      sql: `INSERT INTO ${table} SELECT g, 0, md5(g::text), timestamptz '2024-01-01' + g * interval '1 s' FROM generate_series(1, ${rows}) g`,
      probe: `SELECT EXISTS (SELECT 1 FROM ${table} WHERE id = ${rows})`,
      applied: `SELECT count(*) FROM ${table}`,
    },
    update: {
      sql: `UPDATE ${table} SET a = a + 1`,
      probe: `SELECT EXISTS (SELECT 1 FROM ${table} WHERE id = ${rows} AND a = 1)`,
      applied: `SELECT count(*) FILTER (WHERE a = 1) FROM ${table}`,
    },
    update_key: {
      sql: `UPDATE ${table} SET id = id + ${rows}`,
      probe: `SELECT EXISTS (SELECT 1 FROM ${table} WHERE id = ${2 * rows})`,
      applied: `SELECT count(*) FILTER (WHERE id > ${rows}) FROM ${table}`,
    },
    delete: {
      sql: `DELETE FROM ${table}`,
      probe: `SELECT NOT EXISTS (SELECT 1 FROM ${table} WHERE id = ${2 * rows} OR id = ${rows})`,
      applied: `SELECT ${rows} - count(*) FROM ${table}`,
    },
  }
}

export interface StepResult {
  readonly seconds: number
  /** Undefined: the whole step showed within the bound. */
  readonly timedOutRows?: number
}

/**
 * Seconds from COMMIT returning until `step` shows on the target. A cheap probe first, then the
 * exact count: counting a million rows every 25 ms would take CPU from the apply on 2 cores, and
 * the probe alone may turn true before an apply that commits in batches has finished.
 */
export async function timeStep(
  src: pg.Client,
  tgt: pg.Client,
  step: Step,
  rows: number,
  timeoutS: number,
  onCommit: () => void,
): Promise<StepResult> {
  await src.query('BEGIN')
  await src.query(step.sql)
  await src.query('COMMIT')
  onCommit()
  const t0 = performance.now()
  const timeoutMs = timeoutS * 1000
  try {
    await waitFor(tgt, step.probe, [], { intervalMs: 25, timeoutMs })
    const left = Math.max(0, timeoutMs - (performance.now() - t0))
    await waitFor(tgt, `SELECT (${step.applied}) >= ${rows}`, [], {
      intervalMs: 25,
      timeoutMs: left,
    })
    return { seconds: (performance.now() - t0) / 1000 }
  } catch (error) {
    if (!(error instanceof WaitTimeout)) throw error
    const seconds = (performance.now() - t0) / 1000
    const r = await tgt.query<{ n: string }>(`SELECT (${step.applied})::text AS n`)
    return { seconds, timedOutRows: Number(r.rows[0]?.n ?? 0) }
  }
}

interface KindRecord {
  seconds: number[]
  /** CPU seconds per process group of each run, from BEGIN until the target shows the step. */
  cpu: Record<string, number>[]
  /** The part of `cpu` spent after the source's COMMIT returned. */
  cpuAfterCommit: Record<string, number>[]
  timedOut?: { rows: number; seconds: number }
  memory: MemoryPeak
}

const CPU_GROUPS = ['source', 'walsender', 'target', 'node'] as const

/**
 * CPU of the processes that do a step's work, from BEGIN on the source until the target shows it:
 * the source's backends (the statement itself, the same for both sides), its walsenders (decoding),
 * the target's backends (pgferry's apply sessions, or native's apply worker, plus the bench's
 * probes) and pgferry's own process.
 */
function cpuMeter(ctx: BenchContext): ProcCpu {
  const node = ctx.ferry.pid
  return new ProcCpu((pid, ppid, cmdline) => {
    if (pid === node) return 'node'
    if (ppid === ctx.source.pid) return cmdline.includes('walsender') ? 'walsender' : 'source'
    if (ppid === ctx.target.pid) return 'target'
    return undefined
  })
}

const cpuText = (cpu: Record<string, number>): string =>
  CPU_GROUPS.map((g) => `${g}:${fmt(cpu[g] ?? 0)}`).join(',')

function medianCpu(runs: readonly Record<string, number>[]): Record<string, number> {
  return Object.fromEntries(CPU_GROUPS.map((g) => [g, median(runs.map((r) => r[g] ?? 0))]))
}

/** WAITS=1: a wait-event sampler on both servers (wait-sampler.ts), else undefined. */
async function waitSampler(ctx: BenchContext, db: string): Promise<WaitSampler | undefined> {
  if (process.env.WAITS !== '1') return undefined
  return new WaitSampler(
    [
      { name: 'source', client: await ctx.source.client('postgres') },
      { name: 'target', client: await ctx.target.client('postgres') },
    ],
    db,
  )
}

/** One chain on one side; false when a step timed out (the side's table is then left as it is). */
async function chain(
  ctx: BenchContext,
  side: Side,
  table: string,
  kinds: ReadonlySet<BulkKind>,
  record: Record<BulkKind, KindRecord>,
): Promise<boolean> {
  const src = await ctx.source.client(side.db)
  const tgt = await ctx.target.client(side.db)
  const s = steps(table, ctx.rows)
  try {
    // INSERT always runs (the others need rows); the others only when asked for.
    for (const kind of BULK_KINDS) {
      if (kind !== 'insert' && !kinds.has(kind)) continue
      ctx.ferry.takePeak()
      const sampler = side.who === 'pgferry' ? await waitSampler(ctx, side.db) : undefined
      const meter = cpuMeter(ctx)
      meter.start()
      let atCommit: Record<string, number> = {}
      const r = await onSide(ctx, side, () =>
        timeStep(src, tgt, s[kind], ctx.rows, ctx.bulkTimeoutS, () => (atCommit = meter.mark())),
      )
      const cpu = meter.stop()
      const afterCommit = Object.fromEntries(
        Object.entries(cpu).map(([g, v]) => [g, v - (atCommit[g] ?? 0)]),
      )
      if (sampler !== undefined) for (const line of await sampler.stop()) console.log(line)
      const rec = record[kind]
      if (side.who === 'pgferry') rec.memory = higherPeak(rec.memory, ctx.ferry.takePeak())
      if (r.timedOutRows !== undefined) {
        rec.timedOut = { rows: r.timedOutRows, seconds: r.seconds }
        console.log(
          `  ${side.who} ${table} ${kind}: timed out after ${r.seconds.toFixed(1)} s with ${r.timedOutRows} of ${ctx.rows} rows applied`,
        )
        return false
      }
      rec.seconds.push(r.seconds)
      rec.cpu.push(cpu)
      rec.cpuAfterCommit.push(afterCommit)
      console.log(
        `  ${side.who} ${table} ${kind}: ${r.seconds.toFixed(2)} s; CPU s from BEGIN ${cpuText(cpu)}, after COMMIT ${cpuText(afterCommit)}`,
      )
    }
    // A fresh table for the next chain: TRUNCATE replicates, and drops the dead tuples.
    await src.query(`TRUNCATE ${table}`)
    await onSide(ctx, side, () =>
      waitFor(tgt, `SELECT NOT EXISTS (SELECT 1 FROM ${table})`, [], { intervalMs: 50 }),
    )
    await tgt.query(`VACUUM ANALYZE ${table}`)
    await src.query(`ANALYZE ${table}`)
    return true
  } finally {
    await src.end()
    await tgt.end()
  }
}

/** Run the selected bulk cases of one table and print their RESULT lines. */
export async function runBulkCases(
  ctx: BenchContext,
  table: keyof typeof BULK_TABLES,
  selected: ReadonlySet<string>,
): Promise<void> {
  const kinds = new Set(BULK_KINDS.filter((k) => selected.has(bulkCaseName(k, table))))
  if (kinds.size === 0) return
  const start = load1()
  const record = (): Record<BulkKind, KindRecord> =>
    Object.fromEntries(
      BULK_KINDS.map((k) => [k, { seconds: [], cpu: [], cpuAfterCommit: [], memory: NO_PEAK }]),
    ) as unknown as Record<BulkKind, KindRecord>
  const records: Record<Who, Record<BulkKind, KindRecord>> = {
    pgferry: record(),
    native: record(),
  }
  const stopped: Record<Who, boolean> = { pgferry: false, native: false }
  for (const who of interleave(ctx.reps)) {
    if (stopped[who] || (who === 'pgferry' && ctx.ferryAborted())) continue
    const ok = await chain(ctx, ctx.sides[who], BULK_TABLES[table], kinds, records[who])
    if (!ok) {
      stopped[who] = true
      if (who === 'pgferry') await ctx.abortFerry()
    }
  }
  for (const kind of kinds) {
    const rate = (who: Who): { rate: number; s: number; note: string } => {
      const r = records[who][kind]
      // A timed-out run outweighs finished ones: its rate, flagged, is what the line quotes.
      if (r.timedOut !== undefined) {
        const t = r.timedOut
        const p = who === 'native' ? 'native_' : ''
        return {
          rate: t.rows / t.seconds,
          s: NaN,
          // applied_rows is 0 when the apply commits the transaction at once: the rate is then
          // only known to be below rows / timeout.
          note: ` ${p}timed_out_after_s=${fmt(t.seconds, 0)} ${p}applied_rows=${t.rows} ${p}rows_per_s_below=${int(ctx.rows / t.seconds)}`,
        }
      }
      if (r.seconds.length > 0) {
        const s = median(r.seconds)
        return { rate: ctx.rows / s, s, note: '' }
      }
      return { rate: NaN, s: NaN, note: '' }
    }
    const ours = rate('pgferry')
    const theirs = rate('native')
    const runs = (who: Who): string =>
      records[who][kind].seconds.map((x) => fmt(x)).join('/') || 'none'
    console.log(
      `RESULT name=incremental case=${bulkCaseName(kind, table)} rows=${ctx.rows} rows_per_s=${int(ours.rate)} native_rows_per_s=${int(theirs.rate)} ratio=${fmt(ours.rate / theirs.rate)} seconds=${fmt(ours.s)} native_seconds=${fmt(theirs.s)} runs_s=${runs('pgferry')} native_runs_s=${runs('native')}${ours.note}${theirs.note} cpu_s=${cpuText(medianCpu(records.pgferry[kind].cpu))} native_cpu_s=${cpuText(medianCpu(records.native[kind].cpu))} cpu_after_commit_s=${cpuText(medianCpu(records.pgferry[kind].cpuAfterCommit))} native_cpu_after_commit_s=${cpuText(medianCpu(records.native[kind].cpuAfterCommit))} load1_start=${start} load1=${load1()} ${peakFields(records.pgferry[kind].memory)} ${spaceFields(records.pgferry[kind].memory)}`,
    )
  }
}
