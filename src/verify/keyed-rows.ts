/**
 * A keyed table's differing ranges narrowed to rows (keyed-table.ts): both sides return each row's
 * key and hash, only the rows whose hashes differ are fetched, and while a sync runs each is
 * confirmed across a wait for the target to catch up.
 */
import type { Lane } from './verify-lanes.js'
import type { KeyRange } from './row-sql.js'
import { CURRENT_LSN_SQL, rowOf, sameRow, type CheckedTable, type CheckEnv } from './table-check.js'
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
 * runs they are confirmed: after one wait until the target has caught up with the source as of
 * now, a row must still differ and its source side must be what it was.
 */
export async function narrowRanges(
  t: CheckedTable,
  env: CheckEnv,
  ranges: readonly { readonly range: KeyRange }[],
): Promise<VerifyDifference[]> {
  if (ranges.length === 0) return []
  const found = (
    await Promise.all(ranges.map((r) => env.lanes.with((lane) => candidates(t, lane, r.range))))
  ).filter((c) => c.keys.length > 0)
  const settle = env.settle
  if (settle !== undefined && found.length > 0) {
    // twice: a row changed and changed back within one bracket (an ABA) cannot fool both
    for (let round = 0; round < CONFIRMATIONS; round++) {
      await Promise.all(
        found.map((c) =>
          env.lanes.with(async (lane) => {
            const r = await confirmRows(t, lane, c.keys, settle)
            c.keys = r.keys
            c.source = r.source
            c.target = r.target
          }),
        ),
      )
    }
  }
  return found.flatMap((c) =>
    c.keys.map((k): VerifyDifference => {
      const id = JSON.stringify(k)
      const source = c.source.get(id) ?? null
      const target = c.target.get(id) ?? null
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
    }),
  )
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

/** Confirmations of a row found while a sync runs. */
const CONFIRMATIONS = 2

/**
 * Keep the keys whose rows still differ, bracketed: the source's rows (A) and its position, a wait
 * until the target has applied past it, the target's rows, the source's rows again (B). A key
 * counts when A equals B (no change on the source across the bracket) and the target differs: the
 * target then holds every commit A saw and none that changed the row after.
 */
async function confirmRows(
  t: CheckedTable,
  lane: Lane,
  keys: readonly string[][],
  settle: (lsn: string) => Promise<void>,
): Promise<{ keys: string[][]; source: Map<string, VerifyRow>; target: Map<string, VerifyRow> }> {
  const width = t.key?.length ?? 0
  const arrays = Array.from({ length: width }, (_, i) => keys.map((k) => k[i] ?? ''))
  const before = await rowsByKey(t, lane.source, t.source.rowsByKey(), arrays)
  const lsn = (await lane.source.query<{ lsn: string }>(CURRENT_LSN_SQL)).rows[0]?.lsn ?? '0/0'
  await settle(lsn)
  const target = await rowsByKey(t, lane.target, t.target.rowsByKey(), arrays)
  const after = await rowsByKey(t, lane.source, t.source.rowsByKey(), arrays)
  const kept = keys.filter((k) => {
    const id = JSON.stringify(k)
    const a = before.get(id) ?? null
    return sameRow(a, after.get(id) ?? null) && !sameRow(a, target.get(id) ?? null)
  })
  return { keys: kept, source: after, target }
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
  const width = t.key?.length ?? 0
  const arrays = Array.from({ length: width }, (_, i) => keys.map((k) => k[i] ?? ''))
  const [sr, dr] = await Promise.all([
    lane.source.query<Record<string, string | null>>(t.source.rowsByKey(), arrays),
    lane.target.query<Record<string, string | null>>(t.target.rowsByKey(), arrays),
  ])
  const byKey = (rows: Record<string, string | null>[]): Map<string, VerifyRow> =>
    new Map(
      rows.map((r) => [
        JSON.stringify(Array.from({ length: width }, (_, i) => r[`pgferry_k${i}`] ?? '')),
        rowOf(r, t.columns),
      ]),
    )
  return [byKey(sr.rows), byKey(dr.rows)]
}
