/**
 * A multi-table database with every common type, the same DDL on source and target (until the
 * structure stage lands), a hand-written post-data plan, a deterministic writer, and per-table
 * ordered md5s computed by SQL on each side.
 */
import type pg from 'pg'
import type { Cluster } from './cluster.js'
import { savePostDataPlan, type DdlStep } from '../../src/schema/ddl-step.js'
import type { ProgressStore } from '../../src/model/progress-store.js'

export const PRE_DATA = `
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE pair AS (a int, b text);
CREATE TABLE typed (
  id int GENERATED ALWAYS AS IDENTITY,
  n numeric, f8 float8, f4 float4, i8 bigint, i2 smallint,
  ts timestamp, tstz timestamptz, d date, t time, iv interval,
  b bytea, j jsonb, js json, txt text, vc varchar(20), ch char(5),
  u uuid, ia int[], ta text[], ma mood[], pa pair[], m mood, p pair,
  r int4range, tr tstzrange, nr numrange, bo bool, ip inet, cidr_ cidr, mac macaddr,
  bits bit varying(16), x xml, pt point,
  g bigint GENERATED ALWAYS AS (i8 / 2) STORED,
  ver int NOT NULL DEFAULT 0
);
CREATE TABLE nums (
  id bigint NOT NULL, n numeric, f float8, ts timestamptz, j jsonb, b bytea, ia int[],
  r int8range, txt text
);
CREATE TABLE refs (id int NOT NULL, nums_id bigint);
CREATE TABLE big (id int NOT NULL, t text, bb bytea);
CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, payload text) PARTITION BY RANGE (at);
CREATE TABLE events_2023 PARTITION OF events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_other PARTITION OF events DEFAULT;
CREATE TABLE wmark (i int NOT NULL);
CREATE TABLE empty_one (id int, t text);
`

/** Tables compared row by row (leaves, plus the partitioned root). */
export const TABLES = [
  'typed',
  'nums',
  'refs',
  'big',
  'events',
  'events_2023',
  'events_2024',
  'events_other',
  'wmark',
  'empty_one',
] as const

/**
 * Source-only: what the structure stage would carry as post-data (unique index used by key split),
 * and an identity for every keyless table (a full+incremental task refuses to publish one without).
 */
export const SOURCE_ONLY = `ALTER TABLE nums ADD PRIMARY KEY (id);
ALTER TABLE typed REPLICA IDENTITY FULL; ALTER TABLE wmark REPLICA IDENTITY FULL;
ALTER TABLE events_2023 REPLICA IDENTITY FULL; ALTER TABLE events_2024 REPLICA IDENTITY FULL;
ALTER TABLE events_other REPLICA IDENTITY FULL;
ALTER TABLE refs REPLICA IDENTITY FULL; ALTER TABLE big REPLICA IDENTITY FULL;
ALTER TABLE empty_one REPLICA IDENTITY FULL;`

const NUMS_ROWS = 30_000

export async function seed(cluster: Cluster, db: string): Promise<void> {
  await cluster.query(
    `
INSERT INTO typed (n, f8, f4, i8, i2, ts, tstz, d, t, iv, b, j, js, txt, vc, ch, u, ia, ta, ma, pa, m, p, r, tr, nr, bo, ip, cidr_, mac, bits, x, pt)
VALUES
 ('NaN', 'Infinity', '-Infinity', 9223372036854775807, -32768, '2024-02-29 12:34:56.123456', '2024-02-29 12:34:56.654321+05:30', '2000-01-01', '23:59:59.999999', '1 year 2 mons 3 days 04:05:06.789',
  '\\x00ff10', '{"a": [1, 2.50, "x"], "b": null, "ü": "日本"}', '{"keep":  "spacing" }', 'héllo 🐘 日本語', 'varchar', 'ab', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  '{1,NULL,3}', '{"a b","",NULL,"q\\"uote"}', '{sad,happy}', ARRAY[ROW(1,'x')::pair, ROW(NULL,'')::pair], 'ok', ROW(7,'seven'),
  '[1,10)', '[2024-01-01 00:00:00.000001+00,infinity)', '(,5.5]', true, '192.168.0.1/24', '10.0.0.0/8', '08:00:2b:01:02:03', B'1011', '<a>x</a>', '(1.5,-2.25)'),
 ('-0.000000000000000000001', '-0', 'NaN', -9223372036854775808, 32767, 'infinity', '-infinity', 'infinity', '00:00', '-1 days',
  '\\x', '[]', '[]', '', '', '', NULL, '{}', '{}', '{}', '{}', 'sad', ROW(NULL,NULL), 'empty', 'empty', 'empty', false, '::1', '::/0', 'ff:ff:ff:ff:ff:ff', B'', '', '(0,0)'),
 ('123456789012345678901234567890.123456789012345678901', 1.7976931348623157e308, 3.4e38, 0, 0, '1999-12-31 23:59:59.999999', '1970-01-01 00:00:00.000001+00', '0001-01-01 BC', '12:00', '0',
  NULL, 'null', 'null', E'tab\\there\\nnewline \\\\ backslash', NULL, NULL, NULL, '{{1,2},{3,4}}', '{NULL}', '{ok,ok,NULL}', ARRAY[ROW(2,'a"b')::pair], NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (5e-324::float8::numeric, 5e-324, 1.4e-45, 1, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (0, 0, 0, 2, 2, '2020-01-01', '2020-01-01', '2020-01-01', '01:02:03', '1 sec', '\\xdeadbeef', '{"n": 1e-7}', '{"n": 1e-7}', 'x', 'x', 'x', 'b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12', '{5}', '{x}', '{happy}', NULL, 'happy', ROW(1,'y'), '[5,6]', NULL, '[1,2]', NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO nums SELECT i, i * 1.5, i / 7.0, timestamptz '2020-01-01' + i * interval '1.000001 second',
       jsonb_build_object('i', i, 's', repeat('x', i % 50)), decode(md5(i::text), 'hex'), ARRAY[i, -i, NULL],
       int8range(i, i + 10), 'row ' || i
  FROM generate_series(1, ${NUMS_ROWS}) i;
INSERT INTO refs SELECT i, 20001 + (i % 10000) FROM generate_series(1, 2000) i;
INSERT INTO big SELECT i, (SELECT string_agg(md5((i * 100000 + g)::text), '') FROM generate_series(1, 40000) g),
       (SELECT decode(string_agg(md5((i * 7 + g)::text), ''), 'hex') FROM generate_series(1, 70000) g)
  FROM generate_series(1, 3) i;
INSERT INTO events SELECT i, date '2023-01-01' + (i % 900), 'payload ' || i FROM generate_series(1, 5000) i;
INSERT INTO wmark VALUES (0);
ANALYZE;
`,
    [],
    db,
  )
}

/** One deterministic writer transaction (the same `i` has the same effect on the same state). */
export async function writerTx(client: pg.Client, i: number): Promise<void> {
  await client.query('BEGIN')
  await client.query('UPDATE wmark SET i = $1::int', [i])
  await client.query(
    `INSERT INTO nums (id, n, f, ts, j, b, ia, r, txt) VALUES (1000000 + $1::int, $1::int, $1::int / 3.0, timestamptz '2030-01-01' + $1::int * interval '1 ms', jsonb_build_object('w', $1::int), '\\x01', ARRAY[$1::int], int8range($1::int, $1::int + 1), 'w' || $1::int)`,
    [i],
  )
  await client.query(
    `UPDATE nums SET txt = txt || 'u' || $1::int WHERE id = ($1::int * 7919) % ${NUMS_ROWS} + 1`,
    [i],
  )
  await client.query(`DELETE FROM nums WHERE id = ($1::int * 104729) % 20000 + 1`, [i])
  await client.query(
    `INSERT INTO typed (n, i8, txt, m, ver) VALUES ($1::int, $1::int, 'w' || $1::int, 'ok', $1::int)`,
    [i],
  )
  await client.query(
    `UPDATE typed SET ver = ver + 1, ma = ma || 'sad'::mood WHERE id = ($1::int % 5) + 1`,
    [i],
  )
  await client.query(
    `INSERT INTO events (id, at, payload) VALUES (100000 + $1::int, date '2023-01-01' + ($1::int % 700), 'w' || $1::int)`,
    [i],
  )
  await client.query(`DELETE FROM events WHERE id = $1::int * 3`, [i])
  await client.query('COMMIT')
}

/** count and md5 of the ordered text rows of each table. */
export async function tableDigests(
  cluster: Cluster,
  db: string,
  tables: readonly string[] = TABLES,
): Promise<Record<string, string>> {
  const c = await cluster.client(db)
  try {
    const out: Record<string, string> = {}
    for (const t of tables) {
      const r = await c.query<{ n: string; h: string }>(
        `SELECT count(*)::text AS n, md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')) AS h FROM ${t} x`,
      )
      out[t] = `${r.rows[0]?.n} ${r.rows[0]?.h}`
    }
    return out
  } finally {
    await c.end()
  }
}

/** The post-data plan the structure stage would save, written by hand. */
export async function savePlan(
  store: ProgressStore,
  taskId: string,
  source: Cluster,
  sourceDb: string,
  targetDb: string,
): Promise<DdlStep[]> {
  const r = await source.query<{ relname: string; oid: number }>(
    `SELECT relname, oid::int8::float8 AS oid FROM pg_class WHERE relname IN ('nums', 'refs', 'events', 'typed') AND relnamespace = 'public'::regnamespace`,
    [],
    sourceDb,
  )
  const oid = (n: string): number => r.rows.find((x) => x.relname === n)?.oid as number
  const steps: DdlStep[] = [
    {
      key: 'index:nums_pkey',
      kind: 'index',
      name: 'public.nums_pkey',
      phase: 'post-data',
      dependsOn: [],
      relations: [oid('nums')],
      sql: ['CREATE UNIQUE INDEX nums_pkey ON public.nums (id)'],
    },
    {
      key: 'constraint:nums_pkey',
      kind: 'constraint',
      name: 'public.nums_pkey',
      phase: 'post-data',
      dependsOn: ['index:nums_pkey'],
      relations: [oid('nums')],
      sql: ['ALTER TABLE public.nums ADD CONSTRAINT nums_pkey PRIMARY KEY USING INDEX nums_pkey'],
    },
    {
      key: 'foreign-key:refs_fk',
      kind: 'foreign-key',
      name: 'public.refs.refs_fk',
      phase: 'post-data',
      dependsOn: ['constraint:nums_pkey'],
      relations: [oid('refs'), oid('nums')],
      sql: [
        'ALTER TABLE public.refs ADD CONSTRAINT refs_fk FOREIGN KEY (nums_id) REFERENCES public.nums (id) NOT VALID',
        'ALTER TABLE public.refs VALIDATE CONSTRAINT refs_fk',
      ],
    },
    {
      key: 'index:events_at_idx',
      kind: 'index',
      name: 'public.events_at_idx',
      phase: 'post-data',
      dependsOn: [],
      relations: [oid('events')],
      sql: ['CREATE INDEX events_at_idx ON public.events (at)'],
    },
    {
      key: 'index:typed_id_idx',
      kind: 'index',
      name: 'public.typed_id_idx',
      phase: 'post-data',
      dependsOn: [],
      relations: [oid('typed')],
      sql: ['CREATE INDEX CONCURRENTLY typed_id_idx ON public.typed (id)'],
      transactional: false,
    },
  ]
  await savePostDataPlan(store, taskId, targetDb, steps)
  return steps
}
