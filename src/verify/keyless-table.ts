/**
 * A table without a key is a multiset of rows: each side hashes every row and sums the hashes in
 * 256 buckets (by the hash's low byte) with their counts; a bucket that differs is narrowed to the
 * hashes whose counts differ, and one row of each is fetched. A duplicated row shows as a count of
 * 2 against 1. Slower than a keyed table: no index cuts it into ranges, so each pass reads the
 * whole table (the report's `keyed: false` says so).
 */
import type { Lane } from './verify-lanes.js'
import {
  CURRENT_LSN_SQL,
  noFindings,
  rowOf,
  type CheckEnv,
  type CheckedTable,
  type TableFindings,
} from './table-check.js'
import type { VerifyDifference, VerifyRow } from './verify-report.js'
import type { WatchedRow } from '../apply/row-watch.js'
import { confirmRounds } from './confirm-rounds.js'

interface Bucket {
  readonly bucket: number
  readonly n: string
  readonly s: string
}

/** Check a table without a key. */
export async function checkKeylessTable(t: CheckedTable, env: CheckEnv): Promise<TableFindings> {
  const found = noFindings()
  found.chunks = 1
  env.onChunks(1)
  await env.lanes.with(async (lane) => {
    env.signal.throwIfAborted()
    const first = await readBuckets(t, env, lane)
    let [s, d] = first
    env.onChunk(total(s), total(s) * t.rowBytes)
    let differing = differingBuckets(s, d)
    if (differing.length > 0 && env.settle !== undefined) {
      // read again once the target applied past the first read: buckets that only lagged agree;
      // the rows of those that still differ are confirmed one by one (narrow, confirm-rounds.ts)
      found.chunksRechecked++
      await env.settle(first[2])
      ;[s, d] = await readBuckets(t, env, lane)
      differing = differingBuckets(s, d)
    }
    found.chunksChecked = 1
    found.sourceRows = total(s)
    found.targetRows = total(d)
    if (differing.length === 0) return
    for (const diff of await narrow(t, env, lane, differing)) {
      found.differenceCount++
      if (found.differences.length < env.maxDifferences) found.differences.push(diff)
    }
  })
  return found
}

function total(buckets: ReadonlyMap<number, Bucket>): number {
  let sum = 0
  for (const b of buckets.values()) sum += Number(b.n)
  return sum
}

function differingBuckets(
  a: ReadonlyMap<number, Bucket>,
  b: ReadonlyMap<number, Bucket>,
): number[] {
  const out: number[] = []
  for (const k of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(k)
    const y = b.get(k)
    if (x?.n !== y?.n || x?.s !== y?.s) out.push(k)
  }
  return out
}

async function readBuckets(
  t: CheckedTable,
  env: CheckEnv,
  lane: Lane,
): Promise<[Map<number, Bucket>, Map<number, Bucket>, string]> {
  const [sr, dr] = await Promise.all([
    lane.source.query<Bucket>(t.source.buckets()),
    lane.target.query<Bucket>(t.target.buckets()),
  ])
  const lsn =
    env.settle === undefined
      ? ''
      : ((await lane.source.query<{ lsn: string }>(CURRENT_LSN_SQL)).rows[0]?.lsn ?? '')
  const byBucket = (rows: Bucket[]): Map<number, Bucket> => new Map(rows.map((r) => [r.bucket, r]))
  return [byBucket(sr.rows), byBucket(dr.rows), lsn]
}

async function narrow(
  t: CheckedTable,
  env: CheckEnv,
  lane: Lane,
  buckets: readonly number[],
): Promise<VerifyDifference[]> {
  let counts = await hashCounts(t, lane, buckets)
  if (env.settle !== undefined) {
    // while a sync runs, only the row hashes whose counts differ for certain (confirm-rounds.ts)
    const open = [...counts].filter(([, c]) => c.s !== c.d).map(([h]) => h)
    const sure = await confirmRounds(t, env, lane, open, {
      read: (l, side) => sideCounts(l[side], t[side].hashCounts(), buckets),
      // a whole-row comparison needs whole old rows
      touched: async (l, seen) => (seen.incomplete ? undefined : hashesOf(t, l, seen.rows)),
      same: (s, d) => (s ?? 0) === (d ?? 0),
    })
    counts = new Map([...sure].map(([h, p]) => [h, { s: p.source ?? 0, d: p.target ?? 0 }]))
  }
  const out: VerifyDifference[] = []
  for (const [h, c] of counts) {
    if (c.s === c.d) continue
    const [src, tgt] = await Promise.all([
      c.s > 0 ? oneRow(lane, t.source.rowByHash(), h, t.columns) : null,
      c.d > 0 ? oneRow(lane, t.target.rowByHash(), h, t.columns, true) : null,
    ])
    const row = (src ?? tgt) as VerifyRow
    out.push({
      database: t.database,
      table: t.table,
      kind: c.s > c.d ? 'missing' : 'extra',
      key: row,
      source: src,
      target: tgt,
      sourceCount: c.s,
      targetCount: c.d,
    })
  }
  return out
}

/**
 * The row hashes of `rows` (as the stream carried them), computed on the target as verify's own;
 * `undefined` when a row lacks a column the check hashes (one the stream does not carry, such as a
 * generated column) or a text does not read back: then any row may have changed.
 */
async function hashesOf(
  t: CheckedTable,
  lane: Lane,
  rows: readonly WatchedRow[],
): Promise<Set<string> | undefined> {
  if (rows.length === 0) return new Set()
  if (rows.some((r) => t.columns.some((c) => !(c in r)))) return undefined
  const json = JSON.stringify(rows.map((r) => t.columns.map((c) => r[c] ?? null)))
  try {
    const r = await lane.target.query<{ h: string }>(t.target.hashRows(), [json])
    return new Set(r.rows.map((x) => x.h))
  } catch {
    return undefined
  }
}

/** Each row hash's count on one side, in `buckets`. */
async function sideCounts(
  client: Lane['source'],
  sql: string,
  buckets: readonly number[],
): Promise<Map<string, number>> {
  const r = await client.query<{ h: string; n: number }>(sql, [buckets])
  return new Map(r.rows.map((x) => [x.h, x.n]))
}

/** Each row hash's count on both sides, in `buckets`. */
async function hashCounts(
  t: CheckedTable,
  lane: Lane,
  buckets: readonly number[],
): Promise<Map<string, { s: number; d: number }>> {
  const [sr, dr] = await Promise.all([
    lane.source.query<{ h: string; n: number }>(t.source.hashCounts(), [buckets]),
    lane.target.query<{ h: string; n: number }>(t.target.hashCounts(), [buckets]),
  ])
  const counts = new Map<string, { s: number; d: number }>()
  for (const r of sr.rows) counts.set(r.h, { s: r.n, d: 0 })
  for (const r of dr.rows) {
    const c = counts.get(r.h)
    if (c === undefined) counts.set(r.h, { s: 0, d: r.n })
    else c.d = r.n
  }
  return counts
}

async function oneRow(
  lane: Lane,
  sql: string,
  hash: string,
  columns: readonly string[],
  onTarget = false,
): Promise<VerifyRow | null> {
  const client = onTarget ? lane.target : lane.source
  const r = await client.query<Record<string, string | null>>(sql, [hash])
  const raw = r.rows[0]
  return raw === undefined ? null : rowOf(raw, columns)
}
