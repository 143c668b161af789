/**
 * bench:verify:profile — where one server's time goes when verify hashes a table (issue 13): the
 * same table read by several candidate queries on ONE server, one backend at a time, each timed
 * A B … B A (two passes in opposite order, the median kept), with the load average beside it.
 * Tables as in benchmarks/verify.ts (ROWS, default 1M). Prints one line per table and query.
 */
import os from 'node:os'
import { startCluster } from '../test/harness/cluster.js'
import { fmt, median } from './lib/stats.js'

const ROWS = Number(process.env.ROWS ?? 1_000_000)
const SEED = (rows: number): string => `
CREATE TABLE accounts (aid int PRIMARY KEY, bid int NOT NULL, abalance int NOT NULL, filler char(84));
INSERT INTO accounts SELECT g, 1 + g / 100000, 0, '' FROM generate_series(1, ${rows}) g;
CREATE TABLE wide_events (id bigint PRIMARY KEY, at timestamptz, day date, kind text, n numeric(14,4),
  f float8, r real, flag boolean, tags text[], js jsonb, u uuid, b bytea, ip inet, dur interval,
  small smallint, note varchar(64));
INSERT INTO wide_events SELECT g, timestamptz '2024-01-01' + g * interval '1 second', date '2024-01-01' + g % 365,
  'kind' || g % 17, g / 7.0, g / 3.0, g / 11.0, g % 2 = 0, ARRAY['a', g::text],
  jsonb_build_object('g', g, 'k', g % 9), md5(g::text)::uuid, decode(md5(g::text), 'hex'),
  ('10.0.' || g % 256 || '.' || g % 200)::inet, g * interval '1 minute', (g % 30000)::smallint, 'note ' || g
  FROM generate_series(1, ${Math.round(rows / 4)}) g;
CREATE TABLE docs_toast (id int PRIMARY KEY, body text);
ALTER TABLE docs_toast ALTER COLUMN body SET STORAGE EXTERNAL;
INSERT INTO docs_toast SELECT g, (SELECT string_agg(md5(g::text || x), '') FROM generate_series(1, 256) x)
  FROM generate_series(1, ${Math.round(rows / 200)}) g;
`
const TABLES: Record<string, { key: string; cols: string }> = {
  accounts: { key: 'aid', cols: 'aid, bid, abalance, filler' },
  wide_events: {
    key: 'id',
    cols: 'id, at, day, kind, n, f, r, flag, tags, js, u, b, ip, dur, small, note',
  },
  docs_toast: { key: 'id', cols: 'id, body' },
}
const QUERIES: Record<string, (t: string, key: string, cols: string) => string> = {
  count: (t) => `SELECT count(*) FROM ONLY ${t}`,
  text_len: (t) => `SELECT sum(length(x::text)) FROM ONLY ${t} x`,
  wholerow_hash: (t) => `SELECT count(*), sum(hashtextextended(x::text, 0)) FROM ONLY ${t} x`,
  row_hash: (t, _k, c) =>
    `SELECT count(*), sum(hashtextextended(ROW(${c})::text, 0)) FROM ONLY ${t}`,
  row_hash_bucket: (t, k, c) =>
    `SELECT r, count(*), sum(h) FROM (SELECT ${k} / 50000 AS r, hashtextextended(ROW(${c})::text, 0) AS h FROM ONLY ${t} OFFSET 0) x GROUP BY r`,
  row_md5: (t, _k, c) =>
    `SELECT count(*), sum(('x' || left(md5(ROW(${c})::text), 16))::bit(64)::int8) FROM ONLY ${t}`,
  naive_md5: (t, k) => `SELECT md5(string_agg(x::text, '' ORDER BY ${k})) FROM ${t} x`,
}

const c = await startCluster({
  major: 16,
  settings: { shared_buffers: '512MB', work_mem: '64MB', max_wal_size: '4GB' },
})
try {
  const db = await c.createDatabase('prof')
  await c.query(SEED(ROWS), [], db)
  await c.query('VACUUM ANALYZE', [], db)
  const client = await c.client(db)
  await client.query(`SET extra_float_digits = 3; SET max_parallel_workers_per_gather = 0`)
  for (const [t, { key, cols }] of Object.entries(TABLES)) {
    await client.query(`SELECT count(*) FROM ${t}`) // warm
    const times: Record<string, number[]> = {}
    const names = Object.keys(QUERIES)
    for (const order of [names, [...names].reverse()]) {
      for (const q of order) {
        const sql = QUERIES[q]?.(t, key, cols) ?? ''
        const t0 = performance.now()
        await client.query(sql)
        ;(times[q] ??= []).push((performance.now() - t0) / 1000)
      }
    }
    for (const q of names)
      console.log(
        `${t} ${q} ${fmt(median(times[q] ?? []))} s runs=${(times[q] ?? []).map((x) => fmt(x)).join(',')} load1=${fmt(os.loadavg()[0] ?? 0)}`,
      )
  }
  await client.end()
} finally {
  await c.stop()
}
