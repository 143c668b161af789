/**
 * `npm run demo`: an online migration end to end. Starts two throwaway PostgreSQL clusters from
 * the npm-shipped binaries (16 → 17), fills the source with a small shop, and migrates it with a
 * `full+incremental` task while a writer keeps inserting, updating and deleting on the source:
 * precheck, structure, full load (writer running), incremental sync (writer running, lag shown),
 * then the writer stops and `complete` cuts over. Finally every table is compared by SQL on both
 * sides (ordered md5 of all rows) and the sequences too; exits non-zero on any difference.
 */
import pg from 'pg'
import { createTask, type Task } from '../src/index.js'
import { startPair, type Cluster } from '../test/harness/cluster.js'

const SOURCE_MAJOR = 16
const TARGET_MAJOR = 17
const SYNC_SECONDS = 6
const TABLES = ['customers', 'orders'] as const

const pair = await startPair(SOURCE_MAJOR, TARGET_MAJOR)
console.log(
  `source: PostgreSQL ${SOURCE_MAJOR} on port ${pair.source.port}; target: PostgreSQL ${TARGET_MAJOR} on port ${pair.target.port}`,
)

/** A writer on the source: every DML kind, until stopped. */
function startWriter(client: pg.Client): {
  counts: Record<string, number>
  stop: () => Promise<void>
} {
  const counts = { insert: 0, update: 0, delete: 0 }
  let stopping = false
  const loop = (async () => {
    for (let i = 1; !stopping; i++) {
      await client.query('BEGIN')
      const c = await client.query<{ id: string }>(
        `INSERT INTO customers (name, email) VALUES ($1, $2) RETURNING id::text`,
        [`live customer ${i}`, `live${i}@example.com`],
      )
      await client.query(`INSERT INTO orders (customer_id, total) VALUES ($1::int8, $2::numeric)`, [
        c.rows[0]?.id,
        (i % 900) + 0.99,
      ])
      await client.query('COMMIT')
      counts.insert += 2
      const u = await client.query(`UPDATE orders SET total = total + 1 WHERE id = $1::int8`, [
        1 + ((i * 37) % 20000),
      ])
      counts.update += u.rowCount ?? 0
      const d = await client.query(`DELETE FROM orders WHERE id = $1::int8`, [20000 - i])
      counts.delete += d.rowCount ?? 0
      await new Promise((r) => setTimeout(r, 2))
    }
  })()
  return {
    counts,
    stop: async () => {
      stopping = true
      await loop
    },
  }
}

/** Ordered md5 and count of a table, computed by SQL on that side. */
async function digest(cluster: Cluster, table: string): Promise<string> {
  const r = await cluster.query<{ n: string; h: string }>(
    `SELECT count(*)::text AS n, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS h FROM ${table} t`,
    [],
    'shop',
  )
  return `${r.rows[0]?.n ?? '?'} rows, md5 ${r.rows[0]?.h ?? '?'}`
}

let exitCode = 0
let task: Task | undefined
let writerClient: pg.Client | undefined
try {
  await pair.source.query('CREATE DATABASE shop')
  await pair.source.query(
    `CREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, email text UNIQUE);
     CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers(id), total numeric(12,2), placed_at timestamptz DEFAULT now());
     INSERT INTO customers (name, email) OVERRIDING SYSTEM VALUE SELECT 'customer ' || g, 'c' || g || '@example.com' FROM generate_series(1, 1000) g;
     INSERT INTO orders (customer_id, total) SELECT 1 + g % 1000, (g % 500) / 3.0 FROM generate_series(1, 20000) g;`,
    [],
    'shop',
  )
  console.log('source: shop database with 1,000 customers and 20,000 orders')

  task = await createTask({
    name: 'demo: shop to the new cluster',
    source: pair.source.url('shop'),
    target: pair.target.url('postgres'),
    type: 'full+incremental',
    objects: { databases: { shop: true } },
  })
  let batches = 0
  let applied = 0
  task.on('task:state', (e) => console.log(`state: ${e.from} → ${e.to}`))
  task.on('stage:done', (e) => console.log(`stage ${e.stage}: done in ${e.durationMs} ms`))
  task.on('precheck:item', (e) => {
    if (e.status !== 'pass') console.log(`  precheck ${e.status.padEnd(7)} ${e.id}: ${e.message}`)
  })
  task.on('warning', (e) => console.log(`  warning ${e.code}: ${e.message}`))
  task.on('error', (e) => console.log(`  error ${e.error.code}: ${e.error.message}`))
  task.on('table:copied', (e) => console.log(`  copied ${e.table}: ${e.rows} rows`))
  task.on('apply:batch', (e) => {
    batches++
    applied += e.rows
  })
  task.on('wal:lag', (e) =>
    console.log(
      `  lag ${e.database}: ${e.lagBytes} bytes, ${e.lagSeconds.toFixed(2)} s (applied ${e.appliedLsn}, ${batches} batches, ${applied} rows so far)`,
    ),
  )

  const report = await task.precheck()
  if (!report.ok) throw new Error('precheck failed; see the items above')
  writerClient = new pg.Client(pair.source.config('shop'))
  await writerClient.connect()
  const writer = startWriter(writerClient)
  console.log('writer: inserting, updating and deleting on the source from now on')
  await task.migrateSchema()
  await task.fullLoad()
  const sync = await task.startIncremental()
  console.log(`incremental sync running; letting the writer go on for ${SYNC_SECONDS} s`)
  await new Promise((r) => setTimeout(r, SYNC_SECONDS * 1000))
  await writer.stop()
  console.log(
    `writer stopped: ${writer.counts.insert} inserts, ${writer.counts.update} updates, ${writer.counts.delete} deletes`,
  )
  const lag = await sync.lag()
  for (const l of lag) console.log(`  gap before complete: ${l.database} ${l.lagBytes} bytes`)
  const result = await task.complete()
  console.log(
    `complete: drained to ${JSON.stringify(result.fenceLsn)}, ${result.sequencesSet} sequences set, ${result.tablesVerified} tables verified, ${result.slotsDropped} slot and ${result.publicationsDropped} publication dropped; ${batches} apply batches, ${applied} rows applied`,
  )

  // the proof: every row equal, by SQL on both sides
  for (const table of TABLES) {
    const [s, t] = await Promise.all([digest(pair.source, table), digest(pair.target, table)])
    const same = s === t
    if (!same) exitCode = 1
    console.log(`${same ? 'equal' : 'DIFFERENT'} ${table}: source ${s}; target ${t}`)
  }
  const seqSql = `SELECT last_value::text AS v FROM orders_id_seq`
  const [ss, ts] = await Promise.all([
    pair.source.query<{ v: string }>(seqSql, [], 'shop'),
    pair.target.query<{ v: string }>(seqSql, [], 'shop'),
  ])
  const seqSame = ss.rows[0]?.v === ts.rows[0]?.v
  if (!seqSame) exitCode = 1
  console.log(
    `${seqSame ? 'equal' : 'DIFFERENT'} orders_id_seq: source ${ss.rows[0]?.v}, target ${ts.rows[0]?.v}`,
  )
  const slots = await pair.source.query(`SELECT slot_name FROM pg_replication_slots`)
  if ((slots.rowCount ?? 0) > 0) exitCode = 1
  console.log(`replication slots left on the source: ${slots.rowCount ?? 0}`)
  console.log(`task ${task.state}; ${exitCode === 0 ? 'migration verified' : 'MISMATCH'}`)
} catch (error) {
  console.error(error)
  exitCode = 1
} finally {
  await writerClient?.end().catch(() => undefined)
  await task?.close()
  await pair.stop()
}
process.exit(exitCode)
