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
import { createTask } from '../src/index.js'
import { startPair, type Cluster } from '../test/harness/cluster.js'
import { passPrecheck } from '../test/harness/pass-precheck.js'

const ROWS = Number(process.env.ROWS ?? 200_000)
const TABLE = `CREATE TABLE t (id int PRIMARY KEY, a int NOT NULL, b text, c timestamptz)`

async function waitRows(target: Cluster, db: string, sql: string, want: number): Promise<void> {
  const c = await target.client(db)
  try {
    const deadline = Date.now() + 600_000
    for (;;) {
      const r = await c.query<{ n: number }>(sql)
      if ((r.rows[0]?.n ?? 0) >= want) return
      if (Date.now() > deadline) throw new Error(`target did not reach ${want} rows in 10 min`)
      await new Promise((r) => setTimeout(r, 20))
    }
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
    await waitRows(target, db, `SELECT count(*)::int AS n FROM t`, ROWS)
    const insert = (Date.now() - t0) / 1000
    t0 = Date.now()
    await c.query(`UPDATE t SET a = a + 1`)
    await waitRows(target, db, `SELECT count(*)::int AS n FROM t WHERE a = 1`, ROWS)
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
  const task = await createTask({
    name: 'bench:apply',
    source: pair.source.config('bench'),
    target: pair.target.config('postgres'),
    type: 'full+incremental',
    objects: { databases: { bench: true } },
  })
  let ours: [number, number]
  try {
    await passPrecheck(task)
    await task.migrateSchema()
    await task.fullLoad()
    await task.startIncremental()
    ours = await measure(pair.source, pair.target, 'bench')
    await task.complete()
  } finally {
    await task.close()
  }

  // --- native logical replication -----------------------------------------------------------------
  await pair.source.query(`CREATE DATABASE native`)
  await pair.target.query(`CREATE DATABASE native`)
  await pair.source.query(TABLE, [], 'native')
  await pair.target.query(TABLE, [], 'native')
  await pair.source.query(`CREATE PUBLICATION native_pub FOR TABLE t`, [], 'native')
  await pair.target.query(
    `CREATE SUBSCRIPTION native_sub CONNECTION 'host=127.0.0.1 port=${pair.source.port} user=postgres dbname=native' PUBLICATION native_pub WITH (copy_data = false)`,
    [],
    'native',
  )
  // wait until the subscription's worker streams
  for (let i = 0; i < 300; i++) {
    const r = await pair.source.query(
      `SELECT 1 FROM pg_replication_slots WHERE slot_name = 'native_sub' AND active`,
    )
    if ((r.rowCount ?? 0) > 0) break
    await new Promise((r) => setTimeout(r, 100))
  }
  const native = await measure(pair.source, pair.target, 'native')
  await pair.target.query(`DROP SUBSCRIPTION native_sub`, [], 'native')

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
