/**
 * The type fidelity fixture: one table with a column per type (every built-in type a table can
 * hold, user enums, domains over arrays, composites, hstore, citext) and an array column of each,
 * filled with each type's edge values (numeric NaN/±Infinity, float −0, timestamps at ±infinity,
 * extreme dates, money bounds …). Compared by each server's own text output, column by column, so a
 * difference names the type and the row.
 */
import type { Cluster } from './cluster.js'

interface TypeCase {
  /** Column name; its array column is `<name>_a`. */
  readonly name: string
  readonly type: string
  /** SQL literals (cast to `type` when inserted). */
  readonly values: readonly string[]
  /** The oldest source major that has the type or these values. */
  readonly since?: number
  /**
   * Not binary-safe (a user or extension type; reg*, which travel as oids): the column goes to
   * `tf_u`, copied in text format, so that `tf` is copied in binary.
   */
  readonly user?: true
}

const q = (s: string): string => `'${s.replace(/'/g, "''")}'`
const lits = (...vs: string[]): string[] => vs.map(q)

const CASES: readonly TypeCase[] = [
  { name: 'bo', type: 'boolean', values: ['true', 'false'] },
  { name: 'i2', type: 'smallint', values: ['-32768', '32767', '0'] },
  { name: 'i4', type: 'integer', values: ['-2147483648', '2147483647', '0'] },
  { name: 'i8', type: 'bigint', values: ['-9223372036854775808', '9223372036854775807'] },
  {
    name: 'num',
    type: 'numeric',
    values: lits(
      'NaN',
      '-0.000000000000000000001',
      '123456789012345678901234567890.123456789012345678901',
      '0.10',
      '-1e-130',
    ),
  },
  { name: 'num_inf', type: 'numeric', values: lits('Infinity', '-Infinity', 'NaN'), since: 14 },
  { name: 'num_s', type: 'numeric(10,3)', values: lits('1.5', '-9999999.999') },
  {
    name: 'f4',
    type: 'real',
    values: lits('NaN', 'Infinity', '-Infinity', '-0', '1.4e-45', '3.4028235e38', '0.1'),
  },
  {
    name: 'f8',
    type: 'double precision',
    values: lits('NaN', 'Infinity', '-Infinity', '-0', '5e-324', '1.7976931348623157e308', '0.1'),
  },
  {
    name: 'mon',
    type: 'money',
    values: lits('-92233720368547758.08', '92233720368547758.07', '0', '1.5'),
  },
  { name: 'ch', type: 'char(5)', values: lits('ab', '', 'abcde') },
  { name: 'vc', type: 'varchar(10)', values: lits('x', '') },
  {
    name: 'tx',
    type: 'text',
    values: [q('héllo 🐘 日本語'), `E'tab\\there\\nnl \\\\ bs "q" {a,b}'`, q(''), q('NULL')],
  },
  { name: 'nm', type: 'name', values: lits('a name', 'Upper') },
  { name: 'c1', type: '"char"', values: lits('x', '') },
  { name: 'by', type: 'bytea', values: lits('\\x00ff10', '\\x', '\\x5c22') },
  {
    name: 'dt',
    type: 'date',
    values: lits('infinity', '-infinity', '4713-01-01 BC', '5874897-12-31', '2000-02-29'),
  },
  { name: 'tm', type: 'time', values: lits('00:00', '23:59:59.999999', '24:00:00') },
  { name: 'ttz', type: 'timetz', values: lits('00:00+14', '12:00:00.5-15:59', '24:00:00+00') },
  {
    name: 'ts',
    type: 'timestamp',
    values: lits(
      'infinity',
      '-infinity',
      '4713-01-01 00:00:00 BC',
      '294276-12-31 23:59:59.999999',
      '2024-02-29 12:34:56.123456',
    ),
  },
  {
    name: 'tstz',
    type: 'timestamptz',
    values: lits(
      'infinity',
      '-infinity',
      '4713-01-01 00:00:00+00 BC',
      '294276-12-31 23:59:59.999999+00',
      '2024-02-29 12:34:56.654321+05:30',
    ),
  },
  {
    name: 'iv',
    type: 'interval',
    values: lits(
      '1 year 2 mons 3 days 04:05:06.789',
      '-178000000 years',
      '0',
      '-1 days +00:00:01',
      '2147483647 mons -2147483648 days 596523:14:07.999999',
    ),
  },
  { name: 'iv_inf', type: 'interval', values: lits('infinity', '-infinity'), since: 17 },
  { name: 'uu', type: 'uuid', values: lits('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11') },
  { name: 'js', type: 'json', values: lits('{"keep":  "spacing" , "k":1, "k":2}', '[]', 'null') },
  { name: 'jb', type: 'jsonb', values: lits('{"a": [1, 2.50, "x"], "ü": "日本"}', '{"n": 1e-7}') },
  { name: 'jp', type: 'jsonpath', values: lits('$.a[*] ? (@ > 1)', 'strict $."k y"') },
  { name: 'xm', type: 'xml', values: lits('<a b="1">x &amp; y</a>', 'text node', '') },
  { name: 'ip', type: 'inet', values: lits('192.168.0.1/24', '::1', '::ffff:1.2.3.4/128') },
  { name: 'cd', type: 'cidr', values: lits('10.0.0.0/8', '::/0') },
  { name: 'mc', type: 'macaddr', values: lits('08:00:2b:01:02:03') },
  { name: 'mc8', type: 'macaddr8', values: lits('08:00:2b:01:02:03:04:05') },
  { name: 'bt', type: 'bit(4)', values: ["B'1010'", "B'0000'"] },
  { name: 'vb', type: 'bit varying(16)', values: ["B''", "B'1011'"] },
  { name: 'pt', type: 'point', values: lits('(1.5,-2.25)', '(-0,0)', '(1e-300,1e300)') },
  { name: 'ln', type: 'line', values: lits('{1,-1,0}', '{0,1,-0.5}') },
  { name: 'ls', type: 'lseg', values: lits('[(0,0),(1,1)]') },
  { name: 'bx', type: 'box', values: lits('(1,1),(0,0)', '(-0,-0),(-0,-0)') },
  { name: 'pa', type: 'path', values: lits('[(0,0),(1,1),(2,0)]', '((0,0),(1,1))') },
  { name: 'pg', type: 'polygon', values: lits('((0,0),(1,1),(1,0))') },
  { name: 'ci', type: 'circle', values: lits('<(0,0),1.5>') },
  { name: 'tv', type: 'tsvector', values: lits("a fat cat:1A sat:2 'it''s'", '') },
  { name: 'tq', type: 'tsquery', values: lits('fat & (rat | !cat) <-> sat:*') },
  { name: 'r4', type: 'int4range', values: lits('[1,10)', 'empty', '(,)') },
  { name: 'r8', type: 'int8range', values: lits('[-9223372036854775808,0)') },
  { name: 'rn', type: 'numrange', values: lits('(,5.5]', '[NaN,NaN]') },
  { name: 'rts', type: 'tsrange', values: lits('[-infinity,infinity)', '[2020-01-01,2020-01-02)') },
  { name: 'rtz', type: 'tstzrange', values: lits('[2024-01-01 00:00:00.000001+00,infinity)') },
  {
    name: 'rd',
    type: 'daterange',
    values: lits('[2000-01-01,infinity)', '[2000-01-01,2000-01-01]'),
  },
  { name: 'm4', type: 'int4multirange', values: lits('{[1,3), [5,7)}', '{}'), since: 14 },
  { name: 'mn', type: 'nummultirange', values: lits('{(,1], [2.5,3)}'), since: 14 },
  { name: 'md', type: 'datemultirange', values: lits('{[2000-01-01,infinity)}'), since: 14 },
  {
    name: 'mtz',
    type: 'tstzmultirange',
    values: lits('{[-infinity,2000-01-01 00:00+00)}'),
    since: 14,
  },
  { name: 'lsn', type: 'pg_lsn', values: lits('16/B374D848', '0/0', 'FFFFFFFF/FFFFFFFF') },
  { name: 'tsn', type: 'txid_snapshot', values: lits('10:20:10,14,15') },
  { name: 'psn', type: 'pg_snapshot', values: lits('10:20:10,14,15'), since: 13 },
  { name: 'x8', type: 'xid8', values: lits('18446744073709551615', '0'), since: 13 },
  { name: 'oi', type: 'oid', values: lits('4294967295', '0') },
  {
    name: 'rt',
    type: 'regtype',
    values: lits('integer', 'text[]', 'timestamp with time zone'),
    user: true,
  },
  { name: 'en', type: 'tf_mood', values: lits('sad', 'happy', "we're ok"), user: true },
  { name: 'dl', type: 'tf_int_list', values: lits('{1,2,3}', '{}', '{NULL}'), user: true },
  { name: 'dp', type: 'tf_pos', values: ['1', '2147483647'], user: true },
  {
    name: 'co',
    type: 'tf_inner',
    values: ["ROW(1,'x')", "ROW(NULL,'')", "ROW(2,'a\"b,c)')", 'ROW(NULL,NULL)'],
    user: true,
  },
  {
    name: 'cn',
    type: 'tf_outer',
    values: ["ROW(ROW(1,'x')::tf_inner, ARRAY['a b', NULL, ''], 'happy')", "ROW(NULL, '{}', NULL)"],
    user: true,
  },
  {
    name: 'hs',
    type: 'hstore',
    values: lits('"a"=>"1", "b"=>NULL, "k y"=>"v\\"q"', ''),
    user: true,
  },
  { name: 'ct', type: 'citext', values: lits('MiXeD Case', 'ß'), user: true },
]

/**
 * The fixture's tables: binary-safe built-in types (binary COPY), the others (text COPY), and all
 * of them in a table without a key under REPLICA IDENTITY FULL (the sync finds its rows by the
 * whole old row).
 */
export const TYPE_TABLES = ['tf', 'tf_u', 'tf_f'] as const
export type TypeTable = (typeof TYPE_TABLES)[number]

/** The type cases of `table` a source of `major` can hold. */
function typeCases(major: number, table: TypeTable): readonly TypeCase[] {
  return CASES.filter(
    (c) =>
      (c.since ?? 0) <= major && (table === 'tf_f' || (c.user === true) === (table === 'tf_u')),
  )
}

/** Column names of `table` after `id`, scalar and array. */
export function typeColumns(major: number, table: TypeTable): string[] {
  return typeCases(major, table).flatMap((c) => [c.name, `${c.name}_a`])
}

/** The source schema: types, extensions and the tables (empty). */
export function typeFidelitySchema(major: number): string {
  const table = (t: TypeTable): string =>
    `CREATE TABLE ${t} (\n  id int${t === 'tf_f' ? '' : ' PRIMARY KEY'},\n  ${typeCases(major, t)
      .map((c) => `${c.name} ${c.type}, ${c.name}_a ${c.type}[]`)
      .join(',\n  ')}\n);`
  return `
CREATE EXTENSION hstore;
CREATE EXTENSION citext;
CREATE TYPE tf_mood AS ENUM ('sad', 'happy', 'we''re ok');
CREATE DOMAIN tf_int_list AS int[] CHECK (cardinality(VALUE) < 10);
CREATE DOMAIN tf_pos AS int CHECK (VALUE > 0);
CREATE TYPE tf_inner AS (a int, b text);
CREATE TYPE tf_outer AS (p tf_inner, tags text[], m tf_mood);
${TYPE_TABLES.map(table).join('\n')}
ALTER TABLE tf_f REPLICA IDENTITY FULL;
CREATE TABLE tf_mark (i int PRIMARY KEY);
`
}

/** How many rows one `typeFidelityRows` call writes into each table. */
export function typeFidelityRowCount(major: number): number {
  return Math.max(...CASES.filter((c) => (c.since ?? 0) <= major).map((c) => c.values.length)) + 2
}

/**
 * Rows of the fixture, ids `base+1 …` in each table: row k holds each type's k-th value (NULL past
 * the last), its array mixes two values and a NULL; then a row of NULLs and one of empty arrays.
 */
export function typeFidelityRows(major: number, base: number): string {
  const n = typeFidelityRowCount(major) - 2
  return TYPE_TABLES.map((table) => {
    const cases = typeCases(major, table)
    const rows: string[] = []
    for (let k = 0; k < n + 2; k++) {
      const vals = cases.flatMap((c) => {
        const len = c.values.length
        const v = (i: number): string => `(${c.values[i % len] as string})::${c.type}`
        if (k === n) return ['NULL', 'NULL']
        if (k === n + 1) return [v(0), `'{}'::${c.type}[]`]
        return [k < len ? v(k) : 'NULL', `ARRAY[${v(k)}, NULL, ${v(k + 1)}]::${c.type}[]`]
      })
      rows.push(`(${base + k + 1}, ${vals.join(', ')})`)
    }
    return `INSERT INTO ${table} (id, ${typeColumns(major, table).join(', ')}) VALUES\n${rows.join(',\n')};`
  }).join('\n')
}

/**
 * Each column as the server prints it, `id: text` per row in id order, keyed `table.column`, and
 * each table's rows as `row::text`, ordered; the sessions' output settings are pinned so that both
 * servers print alike.
 */
export async function typeTexts(
  cluster: Cluster,
  db: string,
  major: number,
): Promise<Record<string, string[]>> {
  const c = await cluster.client(db)
  try {
    await c.query(
      `SET TimeZone = 'UTC'; SET DateStyle = 'ISO, MDY'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 1`,
    )
    const out: Record<string, string[]> = {}
    for (const table of TYPE_TABLES) {
      for (const col of typeColumns(major, table)) {
        const r = await c.query<{ v: string }>(
          `SELECT id || ': ' || coalesce(${col}::text, '<null>') AS v FROM ${table} ORDER BY id`,
        )
        out[`${table}.${col}`] = r.rows.map((x) => x.v)
      }
      const rows = await c.query<{ v: string }>(
        `SELECT x::text AS v FROM ${table} x ORDER BY x::text`,
      )
      out[`${table} (rows)`] = rows.rows.map((x) => x.v)
    }
    return out
  } finally {
    await c.end()
  }
}
