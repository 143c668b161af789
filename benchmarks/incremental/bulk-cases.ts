/**
 * The bulk cases: one source transaction of ROWS rows — INSERT, UPDATE of a non-key column, UPDATE
 * of the key, DELETE — on a table with a primary key (`t_pk`) and on a REPLICA IDENTITY FULL table
 * without one (`t_full`, with a plain index on id that the target may use for its lookups: without
 * any index every UPDATE/DELETE row would be a sequential scan, for native and pgferry alike).
 *
 * Time = from the source COMMIT returning until the target shows the whole effect. One "chain" of
 * the four statements runs on one side at a time, sides interleaved A B B A, and the table is
 * TRUNCATEd (replicated) after each chain, so every chain starts from an empty table.
 */
import type pg from 'pg'
import { fmt, median } from '../lib/stats.js'
import { waitFor, waitForProbeThenExact } from '../lib/wait-for.js'
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

interface Step {
  readonly sql: string
  /** A cheap index lookup that turns true at the latest row of the statement. */
  readonly probe: string
  /** The statement's whole effect, read on the target. */
  readonly exact: string
}

function steps(table: string, rows: number): Record<BulkKind, Step> {
  return {
    insert: {
      sql: `INSERT INTO ${table} SELECT g, 0, md5(g::text), timestamptz '2024-01-01' + g * interval '1 s' FROM generate_series(1, ${rows}) g`,
      probe: `SELECT EXISTS (SELECT 1 FROM ${table} WHERE id = ${rows})`,
      exact: `SELECT count(*) = ${rows} FROM ${table}`,
    },
    update: {
      sql: `UPDATE ${table} SET a = a + 1`,
      probe: `SELECT EXISTS (SELECT 1 FROM ${table} WHERE id = ${rows} AND a = 1)`,
      exact: `SELECT count(*) = ${rows} AND bool_and(a = 1) FROM ${table}`,
    },
    update_key: {
      sql: `UPDATE ${table} SET id = id + ${rows}`,
      probe: `SELECT EXISTS (SELECT 1 FROM ${table} WHERE id = ${2 * rows})`,
      exact: `SELECT count(*) = ${rows} AND min(id) > ${rows} FROM ${table}`,
    },
    delete: {
      sql: `DELETE FROM ${table}`,
      probe: `SELECT NOT EXISTS (SELECT 1 FROM ${table} WHERE id = ${2 * rows} OR id = ${rows})`,
      exact: `SELECT NOT EXISTS (SELECT 1 FROM ${table})`,
    },
  }
}

/** Seconds from COMMIT returning until `step` shows on the target. */
async function timeStep(src: pg.Client, tgt: pg.Client, step: Step): Promise<number> {
  await src.query('BEGIN')
  await src.query(step.sql)
  await src.query('COMMIT')
  const t0 = performance.now()
  await waitForProbeThenExact(tgt, step.probe, step.exact)
  return (performance.now() - t0) / 1000
}

/** One chain on one side; returns the seconds of each kind that ran. */
async function chain(
  ctx: BenchContext,
  side: Side,
  table: string,
  kinds: ReadonlySet<BulkKind>,
  rssMb: Partial<Record<BulkKind, number>>,
): Promise<Partial<Record<BulkKind, number>>> {
  const src = await ctx.source.client(side.db)
  const tgt = await ctx.target.client(side.db)
  const s = steps(table, ctx.rows)
  const out: Partial<Record<BulkKind, number>> = {}
  try {
    // INSERT always runs (the others need rows); UPDATE/DELETE only when asked for.
    for (const kind of BULK_KINDS) {
      if (kind !== 'insert' && !kinds.has(kind)) continue
      ctx.rss.takePeakMb()
      out[kind] = await onSide(ctx, side, () => timeStep(src, tgt, s[kind]))
      rssMb[kind] = Math.max(rssMb[kind] ?? 0, ctx.rss.takePeakMb())
      console.log(`  ${side.who} ${table} ${kind}: ${out[kind]!.toFixed(2)} s`)
    }
    // A fresh table for the next chain: TRUNCATE replicates, and drops the dead tuples.
    await src.query(`TRUNCATE ${table}`)
    await onSide(ctx, side, () =>
      waitFor(tgt, `SELECT NOT EXISTS (SELECT 1 FROM ${table})`, [], { intervalMs: 50 }),
    )
    await tgt.query(`VACUUM ANALYZE ${table}`)
    await src.query(`ANALYZE ${table}`)
  } finally {
    await src.end()
    await tgt.end()
  }
  return out
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
  const rssMb: Partial<Record<BulkKind, number>> = {}
  const seconds: Record<Who, Partial<Record<BulkKind, number>>[]> = { pgferry: [], native: [] }
  for (const who of interleave(ctx.reps)) {
    seconds[who].push(await chain(ctx, ctx.sides[who], BULK_TABLES[table], kinds, rssMb))
  }
  for (const kind of kinds) {
    const ours = median(seconds.pgferry.map((r) => r[kind] ?? NaN))
    const theirs = median(seconds.native.map((r) => r[kind] ?? NaN))
    const runs = (who: Who): string => seconds[who].map((r) => fmt(r[kind] ?? NaN)).join('/')
    console.log(
      `RESULT name=incremental case=${bulkCaseName(kind, table)} rows=${ctx.rows} rows_per_s=${Math.round(ctx.rows / ours)} native_rows_per_s=${Math.round(ctx.rows / theirs)} ratio=${fmt(theirs / ours)} seconds=${fmt(ours)} native_seconds=${fmt(theirs)} runs_s=${runs('pgferry')} native_runs_s=${runs('native')} load1_start=${start} load1=${load1()} rss_mb=${Math.round(rssMb[kind] ?? NaN)}`,
    )
  }
}
