/**
 * small_txns_backlog: the SMALL single-row transactions of small_txns, committed while the
 * consumer is stopped (pgferry's sync stopped; the native subscription disabled, its worker gone),
 * then the consumer started: time from the start until the target has every row. Unlike
 * small_txns, which both sides follow at the source's own commit rate, this is the consumer's
 * speed alone: what grouping consecutive source transactions into one target transaction buys.
 *
 * decode_only_s is the floor both share: the same backlog received and decoded by pgferry's stream
 * and decoder with no apply, from a fresh slot made just before pgferry's backlog was written
 * (lib/decode-only.ts), timed after pgferry's run so the two never overlap. server_decode_s is the
 * server's share of it: the same changes peeked and counted in-server, nothing sent;
 * decode_only_cpu_s and decode_only_walsender_cpu_s the receiving process's and the walsender's CPU
 * time during decode_only_s.
 */
import type pg from 'pg'
import { quoteIdent } from '../../src/pg/quote.js'
import {
  createDecodeSlot,
  dropDecodeSlot,
  ferryPublication,
  timeDecodeOnly,
  timeServerDecode,
} from '../lib/decode-only.js'
import { peakFields } from '../lib/memory-peak.js'
import { pgbench } from '../lib/pgbench.js'
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
import { lastSmallId, SMALL, withInsertScript } from './small-txns-case.js'

const DECODE_SLOT = 'bench_decode_only'

/** Until the side's slot has no walsender: its consumer is really stopped. */
async function slotIdle(src: pg.Client, slot: string): Promise<void> {
  await waitFor(src, `SELECT NOT active FROM pg_replication_slots WHERE slot_name = $1`, [slot], {
    intervalMs: 50,
    timeoutMs: 120_000,
  })
}

interface Run {
  readonly seconds: number
  readonly sourceS: number
  readonly decodeOnlyS?: number
  readonly decodeOnlyCpuS?: number
  readonly walsenderCpuS?: number
  readonly serverDecodeS?: number
}

async function once(ctx: BenchContext, side: Side, script: string): Promise<Run> {
  const src = await ctx.source.client(side.db)
  const tgt = await ctx.target.client(side.db)
  const sub = quoteIdent(side.slot) // the native subscription is named as its slot
  try {
    const last = await lastSmallId(src)
    if (side.who === 'pgferry') await ctx.ferry.pause()
    else await tgt.query(`ALTER SUBSCRIPTION ${sub} DISABLE`)
    await slotIdle(src, side.slot)
    const decode = side.who === 'pgferry'
    if (decode) await createDecodeSlot(ctx.source, side.db, DECODE_SLOT)
    try {
      const t = performance.now()
      await pgbench(ctx.source, side.db, ['-n', '-c', '1', '-t', String(SMALL), '-f', script])
      const sourceS = (performance.now() - t) / 1000
      const seconds = await onSide(ctx, side, async () => {
        const t0 = performance.now()
        if (side.who === 'pgferry') await ctx.ferry.resume()
        else await tgt.query(`ALTER SUBSCRIPTION ${sub} ENABLE`)
        await waitFor(
          tgt,
          `SELECT count(*) >= $2::int FROM small WHERE id > $1::bigint`,
          [last, SMALL],
          { intervalMs: 25 },
        )
        return (performance.now() - t0) / 1000
      })
      if (!decode) return { seconds, sourceS }
      const publication = await ferryPublication(ctx.source, side.db)
      const serverDecodeS = await timeServerDecode(ctx.source, side.db, DECODE_SLOT, publication)
      const decodeOnly = await timeDecodeOnly(
        ctx.source,
        side.db,
        DECODE_SLOT,
        publication,
        'small',
        SMALL,
      )
      return {
        seconds,
        sourceS,
        decodeOnlyS: decodeOnly.seconds,
        decodeOnlyCpuS: decodeOnly.cpuSeconds,
        walsenderCpuS: decodeOnly.walsenderCpuSeconds,
        serverDecodeS,
      }
    } finally {
      if (decode) await dropDecodeSlot(ctx.source, side.db, DECODE_SLOT)
    }
  } finally {
    await src.end()
    await tgt.end()
  }
}

export async function runSmallTxnsBacklog(ctx: BenchContext): Promise<void> {
  const start = load1()
  ctx.ferry.takePeak()
  const runs: Record<Who, Run[]> = { pgferry: [], native: [] }
  await withInsertScript(async (script) => {
    for (const who of interleave(ctx.reps)) {
      if (who === 'pgferry' && ctx.ferryAborted()) continue
      const r = await once(ctx, ctx.sides[who], script)
      const decode =
        r.decodeOnlyS === undefined
          ? ''
          : `, decode only ${r.decodeOnlyS.toFixed(2)} s (Node CPU ${fmt(r.decodeOnlyCpuS ?? NaN)} s, walsender CPU ${fmt(r.walsenderCpuS ?? NaN)} s), in-server ${fmt(r.serverDecodeS ?? NaN)} s`
      console.log(
        `  ${who} small_txns_backlog: ${r.seconds.toFixed(2)} s (source ${r.sourceS.toFixed(2)} s${decode})`,
      )
      runs[who].push(r)
    }
  })
  const memory = ctx.ferry.takePeak()
  const ours = median(runs.pgferry.map((r) => r.seconds))
  const theirs = median(runs.native.map((r) => r.seconds))
  const decodes = runs.pgferry.flatMap((r) => (r.decodeOnlyS === undefined ? [] : [r.decodeOnlyS]))
  const cpu = runs.pgferry.flatMap((r) =>
    r.decodeOnlyCpuS === undefined ? [] : [r.decodeOnlyCpuS],
  )
  const walsenderCpu = runs.pgferry.flatMap((r) =>
    r.walsenderCpuS === undefined ? [] : [r.walsenderCpuS],
  )
  const server = runs.pgferry.flatMap((r) =>
    r.serverDecodeS === undefined ? [] : [r.serverDecodeS],
  )
  const src = median([...runs.pgferry, ...runs.native].map((r) => r.sourceS))
  const list = (who: Who): string => runs[who].map((r) => fmt(r.seconds)).join('/') || 'none'
  console.log(
    `RESULT name=incremental case=small_txns_backlog txns=${SMALL} rows_per_s=${int(SMALL / ours)} native_rows_per_s=${int(SMALL / theirs)} ratio=${fmt(theirs / ours)} seconds=${fmt(ours)} native_seconds=${fmt(theirs)} decode_only_s=${fmt(median(decodes))} runs_s=${list('pgferry')} native_runs_s=${list('native')} decode_only_runs_s=${decodes.map((x) => fmt(x)).join('/') || 'none'} decode_only_cpu_s=${fmt(median(cpu))} decode_only_walsender_cpu_s=${fmt(median(walsenderCpu))} server_decode_s=${fmt(median(server))} source_seconds=${fmt(src)} load1_start=${start} load1=${load1()} ${peakFields(memory)}`,
  )
}
