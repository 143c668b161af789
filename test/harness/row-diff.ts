/**
 * Row-by-row proof of equality, by SQL on each side: an ordered md5 per table first (cheap), and
 * where it differs, a per-key diff that names what was lost (on the source only), doubled (on the
 * target only, or more often than on the source) and changed (same key, other values).
 */
import type { Cluster } from './cluster.js'
import { tableDigest } from './incremental-fixture.js'
import { quoteIdent } from '../../src/pg/quote.js'

/** A table to compare: its name and the SQL expression of its key (null: a multiset of rows). */
export interface ComparedTable {
  readonly name: string
  readonly key: string | null
}

export interface TableDiff {
  readonly table: string
  readonly lost: number
  readonly doubled: number
  readonly changed: number
  /** A few rows of each kind, for the report. */
  readonly examples: readonly string[]
}

const EXAMPLES = 4

/** The differences of one table; undefined when equal. */
export async function diffTable(
  source: Cluster,
  sdb: string,
  target: Cluster,
  tdb: string,
  table: ComparedTable,
): Promise<TableDiff | undefined> {
  const name = quoteIdent(table.name)
  const [s, t] = await Promise.all([tableDigest(source, sdb, name), tableDigest(target, tdb, name)])
  if (s === t) return undefined
  const sql = `SELECT ${table.key ?? 'md5(t::text)'} AS k, md5(t::text) AS h, left(t::text, 100) AS r FROM ${name} t`
  const [src, tgt] = await Promise.all([
    source.query<{ k: string; h: string; r: string }>(sql, [], sdb),
    target.query<{ k: string; h: string; r: string }>(sql, [], tdb),
  ])
  const group = (rows: { k: string; h: string; r: string }[]): Map<string, typeof rows> => {
    const m = new Map<string, typeof rows>()
    for (const row of rows) {
      const list = m.get(row.k)
      if (list === undefined) m.set(row.k, [row])
      else list.push(row)
    }
    return m
  }
  const a = group(src.rows)
  const b = group(tgt.rows)
  let lost = 0
  let doubled = 0
  let changed = 0
  const examples: string[] = []
  const note = (kind: string, row: { r: string } | undefined): void => {
    if (examples.length < EXAMPLES * 3) examples.push(`${kind} ${row?.r ?? '?'}`)
  }
  for (const [k, rows] of a) {
    const other = b.get(k) ?? []
    if (other.length === 0) {
      lost += rows.length
      note('lost', rows[0])
    } else if (other.length < rows.length) {
      lost += rows.length - other.length
      note('lost', rows[0])
    } else if (other.length > rows.length) {
      doubled += other.length - rows.length
      note('doubled', other[0])
    } else if (table.key !== null) {
      const hs = new Set(rows.map((x) => x.h))
      const differ = other.filter((x) => !hs.has(x.h))
      changed += differ.length
      if (differ.length > 0) {
        note('source', rows[0])
        note('target', differ[0])
      }
    }
  }
  for (const [k, rows] of b) {
    if (a.has(k)) continue
    doubled += rows.length
    note(table.key === null ? 'doubled' : 'extra', rows[0])
  }
  return { table: table.name, lost, doubled, changed, examples }
}

export interface SequenceDiff {
  readonly sequence: string
  readonly source: string
  readonly target: string
}

/** `last_value`/`is_called` of each sequence on both sides; the ones that differ. */
export async function diffSequences(
  source: Cluster,
  sdb: string,
  target: Cluster,
  tdb: string,
  sequences: readonly string[],
): Promise<SequenceDiff[]> {
  const out: SequenceDiff[] = []
  for (const seq of sequences) {
    const sql = `SELECT last_value::text || CASE WHEN is_called THEN ' called' ELSE '' END AS v FROM ${quoteIdent(seq)}`
    const read = async (c: Cluster, db: string): Promise<string> =>
      c.query<{ v: string }>(sql, [], db).then(
        (r) => r.rows[0]?.v ?? '?',
        (e: unknown) => `error: ${e instanceof Error ? e.message : String(e)}`,
      )
    const [s, t] = await Promise.all([read(source, sdb), read(target, tdb)])
    if (s !== t) out.push({ sequence: seq, source: s, target: t })
  }
  return out
}
