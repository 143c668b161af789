/**
 * bench:incremental — pgferry's incremental sync side by side with PostgreSQL's own
 * publication/subscription, on one pair of clusters (env PAIR, default 16:16) in one run.
 *
 * Layout: two source databases with identical tables, `ferry` replicated by pgferry and `native` by
 * a native subscription with the major's default settings (streaming off through 17, parallel from
 * 18: the header prints what the subscription got), each into the database of the same name on the
 * target. Every measurement runs on one side at a time, sides interleaved A B B A, so the two never
 * compete for the 2 cores; the idle side's walsender still reads (and skips) the other database's
 * WAL, the same cost for both.
 *
 * Cases (env CASES, comma-separated, default all): bulk_{insert,update,update_key,delete}_{pk,full}
 * (bulk-cases.ts), small_txns (small-txns-case.ts), small_txns_backlog
 * (small-txns-backlog-case.ts), steady (steady-case.ts). Env ROWS (1 000 000), REPS (2: each side
 * runs each case REPS times, medians quoted), BULK_TIMEOUT_S (600, see bulk-cases.ts), SMALL
 * (100 000), STEADY_SECONDS (60), SCALE (10), PGBENCH (path, else
 * /usr/lib/postgresql/<major or 15>/bin/pgbench).
 *
 * pgferry runs in a child Node process (lib/ferry-child.ts), the benchmark's clients, pgbench and
 * polling in this one. One `RESULT name=incremental case=… …` line per case; ratio = pgferry
 * rows/s ÷ native rows/s; load1 is the 1-minute load average at the case's end (load1_start at its
 * start); rss_mb is the peak RSS of pgferry's process, sampled every 100 ms while pgferry was the
 * side being measured, with heap_mb (used/total), external_mb and buffers_mb at that peak.
 */
import { startPair } from '../test/harness/cluster.js'
import { FerryChild } from './lib/ferry-child.js'
import { machineHeader } from './lib/machine-header.js'
import { startNativeSubscription } from './lib/native-subscription.js'
import { pgbenchVersion } from './lib/pgbench.js'
import { sleep } from './lib/wait-for.js'
import { BULK_SERVER_SETTINGS, load1, type BenchContext } from './incremental/bench-context.js'
import { createNativeTargetDb, createSourceDb } from './incremental/bench-schema.js'
import { BULK_KINDS, bulkCaseName, runBulkCases } from './incremental/bulk-cases.js'
import { runSmallTxns, SMALL } from './incremental/small-txns-case.js'
import { runSmallTxnsBacklog } from './incremental/small-txns-backlog-case.js'
import {
  runSteadyBaseline,
  runSteadySide,
  SCALE,
  STEADY_SECONDS,
  steadyResult,
} from './incremental/steady-case.js'

const ALL_CASES = [
  ...(['pk', 'full'] as const).flatMap((t) => BULK_KINDS.map((k) => bulkCaseName(k, t))),
  'small_txns',
  'small_txns_backlog',
  'steady',
]
const cases = new Set(
  (process.env.CASES ?? ALL_CASES.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== ''),
)
for (const c of cases)
  if (!ALL_CASES.includes(c)) throw new Error(`unknown case ${c}; cases: ${ALL_CASES.join(',')}`)
const [srcMajor, tgtMajor] = (process.env.PAIR ?? '16:16').split(':').map(Number) as [
  number,
  number,
]
const ROWS = Number(process.env.ROWS ?? 1_000_000)
const REPS = Number(process.env.REPS ?? 2)
const BULK_TIMEOUT_S = Number(process.env.BULK_TIMEOUT_S ?? 600)
const steady = cases.has('steady')
const scale = steady ? SCALE : undefined

const pair = await startPair(srcMajor as 16, tgtMajor as 16, BULK_SERVER_SETTINGS)
let code = 0
try {
  for (const line of await machineHeader({ source: pair.source, target: pair.target }))
    console.log(line)
  console.log(`pgbench: ${await pgbenchVersion(srcMajor)}`)
  console.log(
    `settings: pair=${srcMajor}:${tgtMajor} rows=${ROWS} reps=${REPS} bulk_timeout_s=${BULK_TIMEOUT_S} small=${SMALL} steady_seconds=${STEADY_SECONDS} scale=${SCALE} cases=${[...cases].join(',')}`,
  )

  await createSourceDb(pair.source, 'ferry', scale)
  await createSourceDb(pair.source, 'native', scale)
  await createNativeTargetDb(pair.target, 'native', scale)

  // Before either replication exists, so nothing but pgbench touches the source.
  let baselineTps = NaN
  const steadyStart = load1()
  if (steady) baselineTps = await runSteadyBaseline(pair.source, 'ferry')

  // pgferry in its own process, so that rss_mb is pgferry's memory and not this benchmark's.
  const ferry = await FerryChild.start(pair.source, pair.target, 'ferry')
  let ferryAborted = false
  ferry.onFailure = (error) => {
    if (!ferryAborted) console.error(`pgferry incremental sync failed: ${error}`)
  }
  const abortFerry = async (): Promise<void> => {
    if (ferryAborted) return
    ferryAborted = true
    console.log('  stopping pgferry for the rest of the run (a step timed out)')
    const stopped = ferry.pause().catch(() => undefined)
    // The apply's statement in flight may run for many minutes more; end it.
    await pair.target.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'ferry' AND pid <> pg_backend_pid()`,
    )
    await Promise.race([stopped, sleep(60_000)])
  }
  try {
    const native = await startNativeSubscription(pair.source, pair.target, 'native')
    console.log(`native subscription: streaming=${native.streaming} (the major's default)`)
    const ctx: BenchContext = {
      source: pair.source,
      target: pair.target,
      ferry,
      rows: ROWS,
      reps: REPS,
      bulkTimeoutS: BULK_TIMEOUT_S,
      abortFerry,
      ferryAborted: () => ferryAborted,
      sides: {
        pgferry: { who: 'pgferry', db: 'ferry', slot: ferry.slotName },
        native: { who: 'native', db: 'native', slot: native.name },
      },
    }
    if (steady) {
      ferry.takePeak()
      const ours = await runSteadySide(ctx, ctx.sides.pgferry)
      const peak = ferry.takePeak()
      const theirs = await runSteadySide(ctx, ctx.sides.native)
      console.log(steadyResult(ours, theirs, baselineTps, steadyStart, peak))
    }
    // small_txns before the FULL table, whose pgferry steps are the likeliest to time out.
    await runBulkCases(ctx, 'pk', cases)
    if (cases.has('small_txns')) await runSmallTxns(ctx)
    if (cases.has('small_txns_backlog')) await runSmallTxnsBacklog(ctx)
    await runBulkCases(ctx, 'full', cases)
    await native.drop()
  } finally {
    await Promise.race([ferry.close(), sleep(120_000)])
    ferry.kill()
  }
} catch (error) {
  console.error(error)
  code = 1
} finally {
  await pair.stop()
}
process.exit(code)
