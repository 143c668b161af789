/**
 * A keyed table's differing ranges narrowed to rows (keyed-table.ts): both sides return each row's
 * key and hash, only the rows whose hashes differ are fetched, and while a sync runs each is
 * confirmed across waits for the target to catch up (confirm-rounds.ts).
 */
import type { Lane } from './verify-lanes.js'
import type { KeyRange } from './row-sql.js'
import type { WatchedRow } from '../apply/row-watch.js'
import { confirmRounds, type ConfirmedPair } from './confirm-rounds.js'
import { rowOf, sameRow, type CheckedTable, type CheckEnv } from './table-check.js'
import type { VerifyDifference, VerifyRow } from './verify-report.js'

/** A range's rows whose hashes differ, as first fetched. */
interface Candidates {
  readonly range: KeyRange
  keys: string[][]
  source: Map<string, VerifyRow>
  target: Map<string, VerifyRow>
}

/**
 * The rows of the differing ranges whose hashes differ, fetched from both sides. While a sync
 * runs they are confirmed (confirm-rounds.ts): a row counts once it differs across a round in
 * which the stream carried no change to it.
 */
export async function narrowRanges(
  t: CheckedTable,
  env: CheckEnv,
  ranges: readonly { readonly range: KeyRange }[],
): Promise<VerifyDifference[]> {
  if (ranges.length === 0) return []
  const found = await Promise.all(
    ranges.map((r) => env.lanes.with((lane) => candidates(t, lane, r.range))),
  )
  let rows = new Map<string, ConfirmedPair<VerifyRow>>()
  for (const c of found)
    for (const k of c.keys) {
      const id = JSON.stringify(k)
      rows.set(id, { source: c.source.get(id), target: c.target.get(id) })
    }
  if (env.settle !== undefined && rows.size > 0) {
    const ids = [...rows.keys()]
    rows = await env.lanes.with((lane) =>
      confirmRounds(t, env, lane, ids, {
        read: (l, side, keys) => rowsByKey(t, l[side], t[side].rowsByKey(), keyArrays(t, keys)),
        touched: (l, seen) => keysOf(t, l, seen.rows),
        same: (s, d) => sameRow(s ?? null, d ?? null),
      }),
    )
  }
  return [...rows].map(([id, pair]): VerifyDifference => {
    const k = JSON.parse(id) as string[]
    const source = pair.source ?? null
    const target = pair.target ?? null
    const key: Record<string, string> = {}
    for (const [i, col] of (t.key ?? []).entries()) key[col.name] = k[i] ?? ''
    return {
      database: t.database,
      table: t.table,
      kind: source === null ? 'extra' : target === null ? 'missing' : 'changed',
      key,
      source,
      target,
    }
  })
}

/** Keys (each `JSON.stringify` of its texts) as one text array per key column. */
function keyArrays(t: CheckedTable, ids: readonly string[]): string[][] {
  const keys = ids.map((id) => JSON.parse(id) as string[])
  return (t.key ?? []).map((_, i) => keys.map((k) => k[i] ?? ''))
}

/**
 * The keys (as `keyHashes` prints them) of the rows the stream changed, read back through the key's
 * types on the source in the canonical session; `undefined` when an image lacks a key column (a
 * replica identity other than the key) or a text does not read back: then any row may have changed.
 */
async function keysOf(
  t: CheckedTable,
  lane: Lane,
  rows: readonly WatchedRow[],
): Promise<Set<string> | undefined> {
  if (rows.length === 0) return new Set()
  const key = t.key ?? []
  if (rows.some((r) => key.some((c) => !(c.name in r)))) return undefined
  const json = JSON.stringify(rows.map((r) => key.map((c) => r[c.name] ?? null)))
  try {
    const r = await lane.source.query<Record<string, string>>(t.source.keysOf(), [json])
    return new Set(
      r.rows.map((row) => JSON.stringify(key.map((_, i) => row[`pgferry_k${i}`] ?? ''))),
    )
  } catch {
    return undefined
  }
}

/** The keys of `range` whose row hashes differ, and their rows on both sides. */
async function candidates(t: CheckedTable, lane: Lane, range: KeyRange): Promise<Candidates> {
  const s = t.source.keyHashes(range)
  const d = t.target.keyHashes(range)
  const [sr, dr] = await Promise.all([
    lane.source.query<Record<string, string>>(s.text, s.values),
    lane.target.query<Record<string, string>>(d.text, d.values),
  ])
  const width = t.key?.length ?? 0
  const keyOf = (row: Record<string, string>): string[] =>
    Array.from({ length: width }, (_, i) => row[`pgferry_k${i}`] ?? '')
  const hashes = new Map<
    string,
    { key: string[]; s?: string | undefined; d?: string | undefined }
  >()
  for (const row of sr.rows) hashes.set(JSON.stringify(keyOf(row)), { key: keyOf(row), s: row.h })
  for (const row of dr.rows) {
    const id = JSON.stringify(keyOf(row))
    const e = hashes.get(id)
    if (e === undefined) hashes.set(id, { key: keyOf(row), d: row.h })
    else e.d = row.h
  }
  const keys = [...hashes.values()].filter((e) => e.s !== e.d).map((e) => e.key)
  if (keys.length === 0) return { range, keys, source: new Map(), target: new Map() }
  const [source, target] = await fetchRows(t, lane, keys)
  return { range, keys, source, target }
}

async function rowsByKey(
  t: CheckedTable,
  client: Lane['source'],
  sql: string,
  arrays: readonly string[][],
): Promise<Map<string, VerifyRow>> {
  const width = t.key?.length ?? 0
  const r = await client.query<Record<string, string | null>>(sql, arrays as string[][])
  return new Map(
    r.rows.map((row) => [
      JSON.stringify(Array.from({ length: width }, (_, i) => row[`pgferry_k${i}`] ?? '')),
      rowOf(row, t.columns),
    ]),
  )
}

async function fetchRows(
  t: CheckedTable,
  lane: Lane,
  keys: readonly string[][],
): Promise<[Map<string, VerifyRow>, Map<string, VerifyRow>]> {
  const arrays = keyArrays(
    t,
    keys.map((k) => JSON.stringify(k)),
  )
  return Promise.all([
    rowsByKey(t, lane.source, t.source.rowsByKey(), arrays),
    rowsByKey(t, lane.target, t.target.rowsByKey(), arrays),
  ])
}
