/**
 * bench:verify:profile — where one server's time goes when verify hashes a table (issue 13): the
 * same table read by several candidate queries on ONE server, one backend at a time, each timed
 * A B … B A (two passes in opposite order, the median kept), with the load average beside it.
 * Tables of bench:verify's data set (lib/verify-dataset.ts; ROWS, default 1M). Prints one line per table and query.
 */
import os from 'node:os'
import { startCluster } from '../test/harness/cluster.js'
import { fmt, median } from './lib/stats.js'
import { SEED } from './lib/verify-dataset.js'

const ROWS = Number(process.env.ROWS ?? 1_000_000)
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
