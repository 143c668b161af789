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
import { parseLsn } from '../wal/lsn.js'

const MAX_REREADS = 5

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
    let [s, d, lsn] = await readBuckets(t, env, lane)
    env.onChunk(total(s), total(s) * t.rowBytes)
    let differing = differingBuckets(s, d)
    if (differing.length > 0 && env.settle !== undefined) {
      found.chunksRechecked++
      for (let i = 0; i < MAX_REREADS && differing.length > 0; i++) {
        await env.settle(lsn)
        const [s2, d2, lsn2] = await readBuckets(t, env, lane)
        // only the buckets that differed matter: the rest of the table may change meanwhile
        const unchanged = differing.every(
          (b) => s.get(b)?.s === s2.get(b)?.s && s.get(b)?.n === s2.get(b)?.n,
        )
        ;[s, d, lsn] = [s2, d2, lsn2]
        differing = differingBuckets(s, d)
        if (unchanged) break
      }
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
  if (env.settle !== undefined) counts = await confirmCounts(t, env, lane, buckets, counts)
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
 * While a sync runs, the row hashes whose counts differ for certain. Each round: the source's
 * position (from), a wait until the target applied past it, the target's counts, the source's
 * counts, the source's position again (to), a wait until the target applied past that. Every
 * commit up to `from` is then in both reads, and none after `to` in either; the stream's record of
 * the table's changes in between (row-watch.ts) names the rows that changed meanwhile. A hash
 * whose counts differ and that no change in `(from, to]` touched differs for certain: its count on
 * the source was one and the same at every position the two reads could stand at. One that
 * changed is read again next round (a row the writer keeps changing is never reported: it cannot
 * be told apart from lag). Two equal counts are no proof of "no change": a row inserted and
 * deleted again between the source's reads leaves them equal while the target, read in between,
 * holds it — the false alarm of the two-count rule this replaces.
 */
async function confirmCounts(
  t: CheckedTable,
  env: CheckEnv,
  lane: Lane,
  buckets: readonly number[],
  first: ReadonlyMap<string, { s: number; d: number }>,
): Promise<Map<string, { s: number; d: number }>> {
  const settle = env.settle as (lsn: string) => Promise<void>
  const confirmed = new Map<string, { s: number; d: number }>()
  let open = new Set([...first].filter(([, c]) => c.s !== c.d).map(([h]) => h))
  for (let round = 0; round < MAX_REREADS && open.size > 0; round++) {
    env.signal.throwIfAborted()
    const watch = env.watch?.(t.oid)
    if (watch === undefined) return confirmed
    try {
      const from = await sourceLsn(lane)
      await settle(from)
      const target = await sideCounts(lane.target, t.target.hashCounts(), buckets)
      const source = await sideCounts(lane.source, t.source.hashCounts(), buckets)
      const to = await sourceLsn(lane)
      await settle(to)
      const seen = watch.between(parseLsn(from), parseLsn(to))
      if (seen.opaque) continue
      const changed = await hashesOf(t, lane, seen.rows)
      if (changed === undefined) continue
      const next = new Set<string>()
      // a hash that differs now may be new to this round: a difference is one whatever round finds it
      for (const h of new Set([...open, ...target.keys(), ...source.keys()])) {
        const c = { s: source.get(h) ?? 0, d: target.get(h) ?? 0 }
        if (c.s === c.d || confirmed.has(h)) continue
        if (changed.has(h)) next.add(h)
        else confirmed.set(h, c)
      }
      open = next
    } finally {
      watch.close()
    }
  }
  return confirmed
}

async function sourceLsn(lane: Lane): Promise<string> {
  return (await lane.source.query<{ lsn: string }>(CURRENT_LSN_SQL)).rows[0]?.lsn ?? '0/0'
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
