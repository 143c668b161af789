/**
 * A table with a key: cut into key ranges of `chunkRows` rows (boundaries read on the source, one
 * index-only pass), each range hashed on both servers at once. Only a range whose fingerprints
 * differ is narrowed: both sides return each row's key and hash, and only the rows whose hashes
 * differ are fetched.
 *
 * While a sync runs, a range that differs is read again once the target has applied past the
 * source position read with it; if it still differs, its rows are narrowed down and confirmed
 * against the stream's record of their changes (confirm-rounds.ts), so a steady writer gives no
 * false alarm and a row changed on the target behind the sync's back is still found.
 */
import type { Lane } from './verify-lanes.js'
import {
  boundariesSql,
  gridBounds,
  gridParams,
  type KeyGrid,
  type KeyRange,
  type RowSql,
} from './row-sql.js'
import { quoteIdent } from '../pg/quote.js'
import { formatLsn, parseLsn } from '../wal/lsn.js'
import {
  CURRENT_LSN_SQL,
  noFindings,
  type CheckEnv,
  type CheckedTable,
  type TableFindings,
} from './table-check.js'
import { narrowRanges } from './keyed-rows.js'

interface Fingerprint {
  readonly n: string
  readonly s: string
}

/** A range and its last fingerprints. */
interface RangeRead {
  readonly range: KeyRange
  s: Fingerprint
  d: Fingerprint
  lsn: string
}

/** Check a keyed table. */
export async function checkKeyedTable(t: CheckedTable, env: CheckEnv): Promise<TableFindings> {
  const { bounds, grid } = await env.lanes.with((lane) => chunkBounds(t, env, lane))
  const ranges: KeyRange[] = []
  let lo: readonly string[] | null = null
  for (const b of bounds) {
    ranges.push({ lo, hi: b })
    lo = b
  }
  ranges.push({ lo, hi: null })
  const chosen = env.share >= 1 ? ranges : sampleRanges(ranges, env.share)
  const found = noFindings()
  found.chunks = ranges.length
  found.chunksChecked = chosen.length
  env.onChunks(chosen.length)
  const reads =
    chosen === ranges && t.key?.length === 1 && bounds.length > 0
      ? await env.lanes.with((lane) => readAllRanges(t, env, lane, ranges, bounds, grid))
      : await Promise.all(
          chosen.map((range) =>
            env.lanes.with(async (lane): Promise<RangeRead> => {
              env.signal.throwIfAborted()
              const [s, d, lsn] = await fingerprints(t, env, lane, range)
              env.onChunk(Number(s.n), Number(s.n) * t.rowBytes)
              return { range, s, d, lsn }
            }),
          ),
        )
  const differing = await settleRanges(t, env, reads, found)
  for (const r of reads) {
    found.sourceRows += Number(r.s.n)
    found.targetRows += Number(r.d.n)
  }
  for (const diff of await narrowRanges(t, env, differing)) {
    found.differenceCount++
    if (found.differences.length < env.maxDifferences) found.differences.push(diff)
  }
  return found
}

/**
 * Every range's fingerprints of a single-column key in one pass per side: one sequential scan
 * grouped by range beats a range scan per chunk by the key's index (measured on 1M rows, a
 * pgbench_accounts-like table: … see benchmarks/verify.ts). An integer key's grid gives a row's
 * range by arithmetic, cheaper than a search of the bounds (benchmarks/verify-profile.ts).
 */
async function readAllRanges(
  t: CheckedTable,
  env: CheckEnv,
  lane: Lane,
  ranges: readonly KeyRange[],
  bounds: readonly string[][],
  grid: KeyGrid | undefined,
): Promise<RangeRead[]> {
  env.signal.throwIfAborted()
  const [sql, params] =
    grid === undefined
      ? [(s: RowSql) => s.ranges(), [bounds.map((b) => b[0] ?? '')]]
      : [(s: RowSql) => s.gridRanges(), gridParams(grid)]
  const [sr, dr] = await Promise.all([
    lane.source.query<{ r: number } & Fingerprint>(sql(t.source), params),
    lane.target.query<{ r: number } & Fingerprint>(sql(t.target), params),
  ])
  const lsn =
    env.settle === undefined
      ? ''
      : ((await lane.source.query<{ lsn: string }>(CURRENT_LSN_SQL)).rows[0]?.lsn ?? '')
  const empty: Fingerprint = { n: '0', s: '0' }
  const byRange = (rows: ({ r: number } & Fingerprint)[]): Map<number, Fingerprint> =>
    new Map(rows.map((x) => [x.r, { n: x.n, s: x.s }]))
  const src = byRange(sr.rows)
  const tgt = byRange(dr.rows)
  return ranges.map((range, i) => {
    const s = src.get(i) ?? empty
    env.onChunk(Number(s.n), Number(s.n) * t.rowBytes)
    return { range, s, d: tgt.get(i) ?? empty, lsn }
  })
}

/**
 * The ranges that differ. While a sync runs, those that differ are read again, all together, once
 * the target has applied past the latest source position read with them (one wait for the table,
 * no lane held meanwhile): a range that only lagged then agrees; one that still differs goes on to
 * be narrowed to rows, whose confirmation (confirm-rounds.ts) tells a row that kept changing from
 * one that differs. Reading a range again until its source side stops changing would wait for the
 * sync once more per read, in vain under a steady writer.
 */
async function settleRanges(
  t: CheckedTable,
  env: CheckEnv,
  reads: readonly RangeRead[],
  found: TableFindings,
): Promise<RangeRead[]> {
  const pending = reads.filter((r) => !same(r.s, r.d))
  const settle = env.settle
  if (settle === undefined || pending.length === 0) return pending
  found.chunksRechecked = pending.length
  await settle(latest(pending.map((p) => p.lsn)))
  const again = await Promise.all(
    pending.map((p) => env.lanes.with((lane) => fingerprints(t, env, lane, p.range))),
  )
  return pending.filter((p, j) => {
    const [s2, d2, lsn2] = again[j] as [Fingerprint, Fingerprint, string]
    p.s = s2
    p.d = d2
    p.lsn = lsn2
    return !same(s2, d2)
  })
}

/** The highest of LSNs `X/Y`. */
function latest(lsns: readonly string[]): string {
  let best = 0n
  for (const l of lsns) {
    const v = parseLsn(l)
    if (v > best) best = v
  }
  return formatLsn(best)
}

const INTEGER_TYPES = new Set(['smallint', 'integer', 'bigint'])

/** A key span this wide or wider is cut by the general path (its arithmetic would overflow). */
const GRID_SPAN_MAX = 2n ** 62n

/**
 * The upper bounds of all chunks but the last. A single integer key is cut between its min and
 * max (two index probes) into ranges of equal width, as many as the statistics' row count asks
 * for (the grid, whose range a row's key gives by arithmetic): the exact cut, every
 * `chunkRows`-th key, costs a pass over the key's index, about as long as hashing a narrow table
 * (0.5 s per 1M rows). Gaps in the key only make some chunks smaller.
 */
async function chunkBounds(
  t: CheckedTable,
  env: CheckEnv,
  lane: Lane,
): Promise<{ bounds: string[][]; grid?: KeyGrid }> {
  const key = t.key ?? []
  const only = key.length === 1 ? key[0] : undefined
  if (only !== undefined && INTEGER_TYPES.has(only.type) && t.estimatedRows > 0) {
    const col = quoteIdent(only.name)
    const r = await lane.source.query<{ lo: string | null; hi: string | null }>(
      `SELECT min(${col})::text AS lo, max(${col})::text AS hi FROM ONLY ${t.sourceQualified}`,
    )
    const lo = r.rows[0]?.lo
    const hi = r.rows[0]?.hi
    if (lo === null || lo === undefined || hi === null || hi === undefined) return { bounds: [] }
    const span = BigInt(hi) - BigInt(lo) + 1n
    if (span < GRID_SPAN_MAX) {
      const chunks = BigInt(Math.max(1, Math.ceil(t.estimatedRows / env.chunkRows)))
      const width = (span + chunks - 1n) / chunks
      const grid = { base: BigInt(lo) - 1n, width, count: Number((span + width - 1n) / width) }
      return { bounds: gridBounds(grid), grid }
    }
  }
  const r = await lane.source.query<Record<string, string>>(boundariesSql(t.sourceQualified, key), [
    env.chunkRows,
  ])
  return { bounds: r.rows.map((row) => key.map((_, i) => row[`pgferry_k${i}`] ?? '')) }
}

/** A random share of the ranges, at least one. */
function sampleRanges(ranges: readonly KeyRange[], share: number): KeyRange[] {
  const picked = ranges.filter(() => Math.random() < share)
  if (picked.length === 0 && ranges.length > 0)
    picked.push(ranges[Math.floor(Math.random() * ranges.length)] as KeyRange)
  return picked
}

function same(a: Fingerprint, b: Fingerprint): boolean {
  return a.n === b.n && a.s === b.s
}

async function fingerprints(
  t: CheckedTable,
  env: CheckEnv,
  lane: Lane,
  range: KeyRange,
): Promise<[Fingerprint, Fingerprint, string]> {
  const s = t.source.chunk(range)
  const d = t.target.chunk(range)
  const [sr, dr] = await Promise.all([
    lane.source.query<Fingerprint>(s.text, s.values),
    lane.target.query<Fingerprint>(d.text, d.values),
  ])
  const lsn =
    env.settle === undefined
      ? ''
      : ((await lane.source.query<{ lsn: string }>(CURRENT_LSN_SQL)).rows[0]?.lsn ?? '')
  return [sr.rows[0] as Fingerprint, dr.rows[0] as Fingerprint, lsn]
}
