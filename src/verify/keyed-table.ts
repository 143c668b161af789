/**
 * A table with a key: cut into key ranges of `chunkRows` rows (boundaries read on the source, one
 * index-only pass), each range hashed on both servers at once. Only a range whose fingerprints
 * differ is narrowed: both sides return each row's key and hash, and only the rows whose hashes
 * differ are fetched.
 *
 * While a sync runs, a range that differs is read again once the target has applied past the
 * source position read with it; it counts only if it still differs and its source side did not
 * change in between (else it is read again, a bounded number of times). The rows found are
 * confirmed the same way, so a steady writer gives no false alarm and a row changed on the target
 * behind the sync's back is still found.
 */
import type { Lane } from './verify-lanes.js'
import type { KeyRange } from './row-sql.js'
import { boundariesSql } from './row-sql.js'
import {
  CURRENT_LSN_SQL,
  noFindings,
  rowOf,
  sameRow,
  type CheckEnv,
  type CheckedTable,
  type TableFindings,
} from './table-check.js'
import type { VerifyDifference, VerifyRow } from './verify-report.js'

/** How often a range that keeps changing on the source is read again before it is reported. */
const MAX_REREADS = 5

interface Fingerprint {
  readonly n: string
  readonly s: string
  readonly b: string
}

/** Check a keyed table. */
export async function checkKeyedTable(t: CheckedTable, env: CheckEnv): Promise<TableFindings> {
  const key = t.key ?? []
  const bounds = await env.lanes.with(async (lane) => {
    const r = await lane.source.query<Record<string, string>>(
      boundariesSql(t.sourceQualified, key),
      [env.chunkRows],
    )
    return r.rows.map((row) => key.map((_, i) => row[`pgferry_k${i}`] ?? ''))
  })
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
  env.onChunks(chosen.length)
  await Promise.all(
    chosen.map((range) =>
      env.lanes.with(async (lane) => {
        env.signal.throwIfAborted()
        await checkRange(t, env, lane, range, found)
      }),
    ),
  )
  return found
}

/** A random share of the ranges, at least one. */
function sampleRanges(ranges: readonly KeyRange[], share: number): KeyRange[] {
  const picked = ranges.filter(() => Math.random() < share)
  if (picked.length === 0 && ranges.length > 0)
    picked.push(ranges[Math.floor(Math.random() * ranges.length)] as KeyRange)
  return picked
}

async function checkRange(
  t: CheckedTable,
  env: CheckEnv,
  lane: Lane,
  range: KeyRange,
  found: TableFindings,
): Promise<void> {
  let [s, d, lsn] = await fingerprints(t, env, lane, range)
  env.onChunk(Number(s.n), Number(s.b))
  if (!same(s, d) && env.settle !== undefined) {
    found.chunksRechecked++
    for (let i = 0; i < MAX_REREADS && !same(s, d); i++) {
      await env.settle(lsn)
      const [s2, d2, lsn2] = await fingerprints(t, env, lane, range)
      const unchanged = same(s, s2)
      ;[s, d, lsn] = [s2, d2, lsn2]
      if (unchanged) break
    }
  }
  found.chunksChecked++
  found.sourceRows += Number(s.n)
  found.targetRows += Number(d.n)
  if (same(s, d)) return
  for (const diff of await narrow(t, env, lane, range)) {
    found.differenceCount++
    if (found.differences.length < env.maxDifferences) found.differences.push(diff)
  }
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

/** The rows of `range` whose hashes differ, fetched from both sides (and confirmed in a sync). */
async function narrow(
  t: CheckedTable,
  env: CheckEnv,
  lane: Lane,
  range: KeyRange,
): Promise<VerifyDifference[]> {
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
  let keys = [...hashes.values()].filter((e) => e.s !== e.d).map((e) => e.key)
  if (keys.length === 0) return []
  let [srcRows, tgtRows] = await fetchRows(t, lane, keys)
  if (env.settle !== undefined) {
    // confirm: after the target has caught up with the source as of now, the row must still
    // differ and its source side must be what it was
    const lsn = (await lane.source.query<{ lsn: string }>(CURRENT_LSN_SQL)).rows[0]?.lsn ?? ''
    await env.settle(lsn)
    const [src2, tgt2] = await fetchRows(t, lane, keys)
    keys = keys.filter((k) => {
      const id = JSON.stringify(k)
      const s1 = srcRows.get(id) ?? null
      const s2 = src2.get(id) ?? null
      return sameRow(s1, s2) && !sameRow(s2, tgt2.get(id) ?? null)
    })
    ;[srcRows, tgtRows] = [src2, tgt2]
  }
  return keys.map((k) => {
    const id = JSON.stringify(k)
    const source = srcRows.get(id) ?? null
    const target = tgtRows.get(id) ?? null
    const key: Record<string, string> = {}
    for (const [i, c] of (t.key ?? []).entries()) key[c.name] = k[i] ?? ''
    return {
      database: t.database,
      table: t.table,
      kind: source === null ? 'extra' : target === null ? 'missing' : 'changed',
      key,
      source,
      target,
    } satisfies VerifyDifference
  })
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
