/**
 * The SQL of the check, built once per table and side. A row's hash is computed on the server from
 * its columns by name (the two sides' physical column order may differ), each column hashed by its
 * type's own 64-bit hash where that is exact, else by its canonical text (see {@link rowHashSql}).
 * A chunk's fingerprint is its row count and the sum of its rows' hashes: order-independent, so
 * the server needs no sort, and a changed, missing or extra row changes it (a sum collides only by
 * chance, 2^-64).
 *
 * Measured in CPU seconds per 1M rows on one PG 16 server (bench:verify:profile PROFILE=queries,
 * benchmarks/results/verify-profile-2026-12-02-typed.txt): the row's text as one composite
 * (`hashtextextended(ROW(…)::text, 0)`, record_out copying and scanning every byte for quoting)
 * cost 0.52 on a pgbench_accounts-like table; each column hashed by its type's hash, 0.16. Casting
 * each column to text first (0.62) had made per-column hashing look dearer than the row's text.
 *
 * A chunk is a key range `(lo, hi]`, bounds as text cast back to the key's types, so one plan
 * reads the same rows on both sides by the key's index.
 */
import { quoteIdent } from '../pg/quote.js'
import type { RowKeyColumn } from '../catalog/row-key.js'

/** A key range; `null` bounds are open. Each bound holds one text per key column. */
export interface KeyRange {
  readonly lo: readonly string[] | null
  readonly hi: readonly string[] | null
}

/** The statements of one table on one side. */
export interface RowSql {
  /** `$1…` lo, then hi (when present): n, s (hash sum). */
  chunk(range: KeyRange): { text: string; values: string[] }
  /**
   * A single-column key: every range's fingerprint in one pass (one scan, no index walk): `$1` the
   * ranges' upper bounds as an array of the key's type; per range index `r` (0 … bounds), n and s.
   */
  ranges(): string
  /**
   * A single integer key cut into ranges of equal width ({@link KeyGrid}): every range's
   * fingerprint in one pass, the range of a row computed from its key by arithmetic. `$1` the
   * first range's upper bound, `$2` the last range's lower bound, `$3` the grid's base + 1, `$4`
   * the width, `$5` the last range's index (see {@link gridParams}); per range r: n and s.
   */
  gridRanges(): string
  /** Each row's key texts (pgferry_k0…) and hash (h), in key order. */
  keyHashes(range: KeyRange): { text: string; values: string[] }
  /** Rows by key: `$1…` one text array per key column. Columns by name, plus pgferry_k0… */
  rowsByKey(): string
  /** Keyless: per bucket (h & 255) n, s. */
  buckets(): string
  /** Keyless: per hash h in buckets `$1::int[]`, its count n. */
  hashCounts(): string
  /** Keyless: one row whose hash is `$1`. */
  rowByHash(): string
  /**
   * The hash (h) of each row of `$1`, a JSON array of rows, each an array of column texts in the
   * table's column order (`null`: NULL): rows the stream carried, hashed as the table's own.
   */
  hashRows(): string
  /** Row count of the table alone. */
  count(): string
  /**
   * The key texts (pgferry_k0…, as `keyHashes` prints them) of `$1`, a JSON array of rows, each an
   * array of key column texts: keys the stream carried, read back through the key's types.
   */
  keysOf(): string
}

/**
 * Build the statements for `qualified` (already quoted) with these columns (this side's types) and
 * key; the columns named in `plain` are hashed by their text (see {@link plainColumns}). Both sides
 * must be built with the same column names in the same order, and the same `plain`.
 */
export function rowSql(
  qualified: string,
  columns: readonly RowKeyColumn[],
  key: readonly RowKeyColumn[] | null,
  plain: ReadonlySet<string> = new Set(),
): RowSql {
  const names = columns.map((c) => quoteIdent(c.name))
  const rowHash = rowHashSql(columns, names, plain)
  // OFFSET 0 keeps the subquery from being flattened, which would compute the hash once per use
  const hashed = (where: string): string =>
    `SELECT ${rowHash} AS h FROM ONLY ${qualified} ${where} OFFSET 0`
  const k = key ?? []
  const tuple = `(${k.map((c) => quoteIdent(c.name)).join(', ')})`
  const order = k.map((c) => quoteIdent(c.name)).join(', ')
  const where = (range: KeyRange): { sql: string; values: string[] } => rangeWhere(k, range)
  const keyTexts = k.map((c, i) => `${quoteIdent(c.name)}::text AS pgferry_k${i}`).join(', ')
  const columnTexts = columns.map((c) => `${quoteIdent(c.name)}::text AS ${quoteIdent(c.name)}`)
  return {
    chunk(range) {
      const w = where(range)
      return {
        text: `SELECT count(*)::text AS n, coalesce(sum(${rowHash}), 0)::text AS s
                 FROM ONLY ${qualified} ${w.sql}`,
        values: w.values,
      }
    },
    ranges() {
      return rangesSql(qualified, k, rowHash)
    },
    gridRanges() {
      const col = quoteIdent(k[0]?.name ?? '')
      const r = `CASE WHEN ${col} <= $1::int8 THEN 0 WHEN ${col} > $2::int8 THEN $5::int8
                      ELSE (${col} - $3::int8) / $4::int8 END`
      return `SELECT r::int AS r, count(*)::text AS n, coalesce(sum(h), 0)::text AS s
                FROM (SELECT ${r} AS r, ${rowHash} AS h
                        FROM ONLY ${qualified} OFFSET 0) x
               GROUP BY r`
    },
    keyHashes(range) {
      const w = where(range)
      return {
        text: `SELECT ${keyTexts}, ${rowHash}::text AS h
                 FROM ONLY ${qualified} ${w.sql} ORDER BY ${order}`,
        values: w.values,
      }
    },
    rowsByKey() {
      const unnest = k.map((_, i) => `$${i + 1}::text[]`).join(', ')
      const cast = k.map((c, i) => `u.x${i}::${c.type}`).join(', ')
      const names = k.map((_, i) => `x${i}`).join(', ')
      return `SELECT ${[...columnTexts, keyTexts].join(', ')} FROM ONLY ${qualified}
               WHERE ${tuple} IN (SELECT ${cast} FROM unnest(${unnest}) AS u(${names}))`
    },
    buckets() {
      return `SELECT (h & 255)::int AS bucket, count(*)::text AS n, sum(h)::text AS s
                FROM (${hashed('')}) x GROUP BY 1`
    },
    hashCounts() {
      return `SELECT h::text AS h, count(*)::int AS n FROM (${hashed('')}) x
               WHERE (h & 255) = ANY ($1::int[]) GROUP BY h`
    },
    rowByHash() {
      return `SELECT ${columnTexts.join(', ')} FROM ONLY ${qualified}
               WHERE ${rowHash} = $1::int8 LIMIT 1`
    },
    count() {
      return `SELECT count(*)::text AS n FROM ONLY ${qualified}`
    },
    keysOf() {
      const texts = k.map((c, i) => `(r->>${i})::${c.type}::text AS pgferry_k${i}`).join(', ')
      return `SELECT ${texts} FROM jsonb_array_elements($1::jsonb) AS r`
    },
    hashRows() {
      const values = columns.map((c, i) => `(r->>${i})::${c.type}`)
      return `SELECT ${rowHashSql(columns, values, plain)}::text AS h
                FROM jsonb_array_elements($1::jsonb) AS r`
    },
  }
}

/** `WHERE (key) > lo AND (key) <= hi` with the bounds as parameters `$1…` cast to the key's types. */
function rangeWhere(
  k: readonly RowKeyColumn[],
  range: KeyRange,
): { sql: string; values: string[] } {
  const tuple = `(${k.map((c) => quoteIdent(c.name)).join(', ')})`
  const bound = (offset: number): string =>
    `(${k.map((c, i) => `$${offset + i}::${c.type}`).join(', ')})`
  const parts: string[] = []
  const values: string[] = []
  if (range.lo !== null) {
    parts.push(`${tuple} > ${bound(values.length + 1)}`)
    values.push(...range.lo)
  }
  if (range.hi !== null) {
    parts.push(`${tuple} <= ${bound(values.length + 1)}`)
    values.push(...range.hi)
  }
  return { sql: parts.length === 0 ? '' : `WHERE ${parts.join(' AND ')}`, values }
}

/**
 * Ranges of equal width over a single integer key: range r (0 … count - 1) holds the keys in
 * (base + r·width, base + (r + 1)·width], the first one open below and the last open above.
 */
export interface KeyGrid {
  readonly base: bigint
  readonly width: bigint
  readonly count: number
}

/** The upper bounds of a grid's ranges but the last, as {@link KeyRange} bounds. */
export function gridBounds(grid: KeyGrid): string[][] {
  return Array.from({ length: grid.count - 1 }, (_, i) => [
    String(grid.base + BigInt(i + 1) * grid.width),
  ])
}

/** The parameters of RowSql.gridRanges for `grid`. */
export function gridParams(grid: KeyGrid): string[] {
  const last = BigInt(grid.count - 1)
  return [
    String(grid.base + grid.width),
    String(grid.base + last * grid.width),
    String(grid.base + 1n),
    String(grid.width),
    String(last),
  ]
}

/**
 * How a column's value is hashed: by its type's own 64-bit hash where that hash tells apart
 * exactly the values the value's text tells apart, else by its text (`out`). Integers (`int`: the
 * int2, int4 and int8 hashes agree on equal values), text and varchar (`text`) and char(n)
 * (`bpchar`, which ignores trailing blanks as char(n) equality does) in the "C" collation
 * (bytewise: a nondeterministic collation's hash would make 'A' equal 'a'), `uuid`. Not floats
 * (the float hash makes -0 equal 0), numeric (its hash ignores the scale: 1.0 equals 1.00),
 * jsonb (its numbers likewise), timestamps and the rest: their canonical text.
 */
export type HashKind = 'int' | 'text' | 'bpchar' | 'uuid' | 'out'

/** The hash kind of a type as `format_type` prints it. */
export function hashKind(type: string): HashKind {
  if (type === 'smallint' || type === 'integer' || type === 'bigint') return 'int'
  if (type === 'text' || /^character varying(\(\d+\))?$/.test(type)) return 'text'
  if (/^character(\(\d+\))?$/.test(type)) return 'bpchar'
  if (type === 'uuid') return 'uuid'
  return 'out'
}

const INT_HASH: Record<string, string> = {
  smallint: 'hashint2extended',
  integer: 'hashint4extended',
  bigint: 'hashint8extended',
}

/**
 * The hash of a row whose column `columns[i]` has the value `values[i]` (an SQL expression), an
 * int8: the XOR of each column's hash ({@link hashKind}: its type's own, or its canonical text's
 * by `hashtextextended`), seeded by its position, a NULL a constant of its position. The columns
 * named in `plain` are hashed by their text whatever their type (the two sides' types differ).
 * The hash functions are v11+ and stable across majors (hash partitioning relies on them).
 */
export function rowHashSql(
  columns: readonly RowKeyColumn[],
  values: readonly string[],
  plain: ReadonlySet<string> = new Set(),
): string {
  const hashes = columns.map((c, i) => {
    const v = values[i] ?? 'NULL'
    const seed = i + 1
    const kind = plain.has(c.name) ? 'out' : hashKind(c.type)
    const h =
      kind === 'int'
        ? `${INT_HASH[c.type] ?? 'hashint8extended'}(${v}, ${seed})`
        : kind === 'text'
          ? `hashtextextended((${v}) COLLATE "C", ${seed})`
          : kind === 'bpchar'
            ? `hashbpcharextended((${v}) COLLATE "C", ${seed})`
            : kind === 'uuid'
              ? `uuid_hash_extended(${v}, ${seed})`
              : `hashtextextended((${v})::text COLLATE "C", ${seed})`
    return `coalesce(${h}, ${seed})`
  })
  if (hashes.length === 0) return '0::int8'
  return hashes.length === 1 ? (hashes[0] as string) : `(${hashes.join(' # ')})`
}

/**
 * The columns to hash by their text on both sides: those whose {@link hashKind} differs between
 * the source's and the target's type (or that the target lacks), so both sides hash alike.
 */
export function plainColumns(
  source: readonly RowKeyColumn[],
  target: readonly RowKeyColumn[],
): Set<string> {
  const there = new Map(target.map((c) => [c.name, c.type]))
  return new Set(
    source
      .filter((c) => {
        const t = there.get(c.name)
        return t === undefined || hashKind(t) !== hashKind(c.type)
      })
      .map((c) => c.name),
  )
}

/** A single-column key: every range's fingerprint in one pass (RowSql.ranges). */
function rangesSql(qualified: string, k: readonly RowKeyColumn[], rowHash: string): string {
  const col = quoteIdent(k[0]?.name ?? '')
  const th = `$1::${k[0]?.type ?? 'text'}[]`
  // width_bucket counts the bounds <= the key; a range is (lo, hi], so a key equal to a
  // bound belongs to the range below it
  const wb = `width_bucket(${col}, ${th})`
  const range = `${wb} - CASE WHEN ${wb} > 0 AND (${th})[${wb}] = ${col} THEN 1 ELSE 0 END`
  return `SELECT r, count(*)::text AS n, coalesce(sum(h), 0)::text AS s
            FROM (SELECT ${range} AS r, ${rowHash} AS h
                    FROM ONLY ${qualified} OFFSET 0) x
           GROUP BY r`
}

/** The key boundaries of chunks of `rows` rows, in key order: every `rows`-th key. */
export function boundariesSql(qualified: string, key: readonly RowKeyColumn[]): string {
  const order = key.map((c) => quoteIdent(c.name)).join(', ')
  const texts = key.map((c, i) => `${quoteIdent(c.name)}::text AS pgferry_k${i}`).join(', ')
  return `SELECT ${key.map((_, i) => `pgferry_k${i}`).join(', ')}
            FROM (SELECT ${texts}, row_number() OVER (ORDER BY ${order}) AS rn
                    FROM ONLY ${qualified}) s
           WHERE rn % $1 = 0 ORDER BY rn`
}
