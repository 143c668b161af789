/**
 * bench:apply — how fast pgferry's incremental apply replays a large source transaction, side by
 * side with PostgreSQL's own logical replication (CREATE SUBSCRIPTION) on the same two clusters
 * (16 → 16, from the npm-shipped binaries, like the tests).
 *
 * For each of pgferry and native: one source transaction inserting ROWS rows (default 200 000),
 * then one updating all of them. The time of each is from the source COMMIT returning until the
 * target shows every row (polled by SQL on the target: the count, then the count of updated rows),
 * so decoding, transport and apply are all inside it for both.
 *
 * Prints `RESULT name=apply insert_rows_per_s=… native_insert_rows_per_s=… ratio=…
 * update_rows_per_s=… native_update_rows_per_s=… update_ratio=…` (ratio = pgferry / native).
 */
import { startPair, type Cluster } from '../test/harness/cluster.js'
import { startFerry } from './lib/ferry-task.js'
import { startNativeSubscription } from './lib/native-subscription.js'
import { waitRows } from './lib/wait-for.js'

const ROWS = Number(process.env.ROWS ?? 200_000)
const TABLE = `CREATE TABLE t (id int PRIMARY KEY, a int NOT NULL, b text, c timestamptz)`

async function waitTarget(target: Cluster, db: string, sql: string, want: number): Promise<void> {
  const c = await target.client(db)
  try {
    await waitRows(c, sql, want)
  } finally {
    await c.end()
  }
}

/** Seconds for the insert and the update to show on the target. */
async function measure(source: Cluster, target: Cluster, db: string): Promise<[number, number]> {
  const c = await source.client(db)
  try {
    let t0 = Date.now()
    await c.query(
      `INSERT INTO t SELECT g, 0, md5(g::text), timestamptz '2024-01-01' + g * interval '1 s' FROM generate_series(1, $1::int) g`,
      [ROWS],
    )
    await waitTarget(target, db, `SELECT count(*)::int AS n FROM t`, ROWS)
    const insert = (Date.now() - t0) / 1000
    t0 = Date.now()
    await c.query(`UPDATE t SET a = a + 1`)
    await waitTarget(target, db, `SELECT count(*)::int AS n FROM t WHERE a = 1`, ROWS)
    return [insert, (Date.now() - t0) / 1000]
  } finally {
    await c.end()
  }
}

const pair = await startPair(16, 16)
let code = 0
try {
  // --- pgferry ------------------------------------------------------------------------------------
  await pair.source.query(`CREATE DATABASE bench`)
  await pair.source.query(TABLE, [], 'bench')
  const ferry = await startFerry(pair.source, pair.target, 'bench')
  let ours: [number, number]
  try {
    ours = await measure(pair.source, pair.target, 'bench')
    await ferry.task.complete()
  } finally {
    await ferry.task.close()
  }

  // --- native logical replication -----------------------------------------------------------------
  await pair.source.query(`CREATE DATABASE native`)
  await pair.target.query(`CREATE DATABASE native`)
  await pair.source.query(TABLE, [], 'native')
  await pair.target.query(TABLE, [], 'native')
  const sub = await startNativeSubscription(pair.source, pair.target, 'native', {
    with: 'copy_data = false',
  })
  const native = await measure(pair.source, pair.target, 'native')
  await sub.drop()

  const rate = (s: number): number => Math.round(ROWS / s)
  console.log(
    `pgferry: insert ${ours[0].toFixed(2)} s, update ${ours[1].toFixed(2)} s; native: insert ${native[0].toFixed(2)} s, update ${native[1].toFixed(2)} s (${ROWS} rows)`,
  )
  console.log(
    `RESULT name=apply rows=${ROWS} insert_rows_per_s=${rate(ours[0])} native_insert_rows_per_s=${rate(native[0])} ratio=${(native[0] / ours[0]).toFixed(2)} update_rows_per_s=${rate(ours[1])} native_update_rows_per_s=${rate(native[1])} update_ratio=${(native[1] / ours[1]).toFixed(2)}`,
  )
} catch (error) {
  console.error(error)
  code = 1
} finally {
  await pair.stop()
}
process.exit(code)
