/**
 * small_txns: SMALL (default 100 000) single-row INSERT transactions, committed as fast as one
 * client can (pgbench -c 1, one autocommit INSERT per transaction). Time from pgbench's start (its
 * first commit follows within milliseconds) until the target has every row.
 */
import { writeFileSync, mkdtempSync, rmSync, chmodSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type pg from 'pg'
import { pgbench } from '../lib/pgbench.js'
import { peakFields } from '../lib/memory-peak.js'
import { fmt, int, median } from '../lib/stats.js'
import { waitFor } from '../lib/wait-for.js'
import {
  interleave,
  load1,
  onSide,
  type BenchContext,
  type Side,
  type Who,
} from './bench-context.js'

export const SMALL = Number(process.env.SMALL ?? 100_000)

/** Run `fn` with a pgbench script of one single-row autocommit INSERT into `small`. */
export async function withInsertScript<T>(fn: (script: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pgferry-bench-small-'))
  try {
    // pgbench runs as this user, the servers as another: the file must be readable to all.
    chmodSync(dir, 0o755)
    const script = path.join(dir, 'insert.sql')
    writeFileSync(script, 'INSERT INTO small (v) VALUES (1);\n')
    return await fn(script)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The highest id of `small` so far: the rows of the next run are those above it. */
export async function lastSmallId(src: pg.Client): Promise<string> {
  const r = await src.query<{ last: string }>(
    `SELECT coalesce(max(id), 0)::text AS last FROM small`,
  )
  return r.rows[0]?.last ?? '0'
}

async function once(ctx: BenchContext, side: Side, script: string): Promise<[number, number]> {
  const src = await ctx.source.client(side.db)
  const tgt = await ctx.target.client(side.db)
  try {
    const last = await lastSmallId(src)
    return await onSide(ctx, side, async () => {
      const t0 = performance.now()
      await pgbench(ctx.source, side.db, ['-n', '-c', '1', '-t', String(SMALL), '-f', script])
      const sourceS = (performance.now() - t0) / 1000
      await waitFor(
        tgt,
        `SELECT count(*) >= $2::int FROM small WHERE id > $1::bigint`,
        [last, SMALL],
        { intervalMs: 25 },
      )
      return [(performance.now() - t0) / 1000, sourceS]
    })
  } finally {
    await src.end()
    await tgt.end()
  }
}

export async function runSmallTxns(ctx: BenchContext): Promise<void> {
  const start = load1()
  ctx.ferry.takePeak()
  const seconds: Record<Who, [number, number][]> = { pgferry: [], native: [] }
  await withInsertScript(async (script) => {
    for (const who of interleave(ctx.reps)) {
      if (who === 'pgferry' && ctx.ferryAborted()) continue
      const r = await once(ctx, ctx.sides[who], script)
      console.log(`  ${who} small_txns: ${r[0].toFixed(2)} s (source ${r[1].toFixed(2)} s)`)
      seconds[who].push(r)
    }
  })
  const memory = ctx.ferry.takePeak()
  const ours = median(seconds.pgferry.map((r) => r[0]))
  const theirs = median(seconds.native.map((r) => r[0]))
  const src = median([...seconds.pgferry, ...seconds.native].map((r) => r[1]))
  console.log(
    `RESULT name=incremental case=small_txns txns=${SMALL} rows_per_s=${int(SMALL / ours)} native_rows_per_s=${int(SMALL / theirs)} ratio=${fmt(theirs / ours)} seconds=${fmt(ours)} native_seconds=${fmt(theirs)} source_seconds=${fmt(src)} load1_start=${start} load1=${load1()} ${peakFields(memory)}`,
  )
}
