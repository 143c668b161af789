/**
 * steady-probe — where the incremental apply's time goes under a steady OLTP source (issue 11).
 *
 * One 16 → 16 pair. pgbench -i -s SCALE on the source, a full+incremental task, a heartbeat row
 * updated every 200 ms on the source; then pgbench TPC-B (`-c 4 -j 2`, STEADY_SECONDS) and, after
 * it, SMALL single-row INSERT transactions from one client. Lag = target clock minus the heartbeat
 * value the target holds, sampled every 200 ms; pg_stat_activity of both servers is sampled every
 * 100 ms and tallied by backend type and wait event; apply:batch events are summed.
 *
 * MODE=native runs the same against CREATE SUBSCRIPTION instead; MODE=none without replication (the
 * source's own TPS; run it with SMALL=0). Run with node --cpu-prof to
 * profile the apply (it runs in this process).
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import type pg from 'pg'
import { createTask } from '../src/index.js'
import { startPair, type Cluster } from '../test/harness/cluster.js'
import { passPrecheck } from '../test/harness/pass-precheck.js'

const run = promisify(execFile)
const PGBENCH = process.env.PGBENCH ?? '/usr/lib/postgresql/15/bin/pgbench'
const SCALE = Number(process.env.SCALE ?? 10)
const SECONDS = Number(process.env.STEADY_SECONDS ?? 30)
const SMALL = Number(process.env.SMALL ?? 100_000)
const MODE = process.env.MODE ?? 'pgferry'
const log = (s: string): void => console.log(`[${new Date().toISOString().slice(11, 23)}] ${s}`)

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? NaN : (s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN)
}

async function pgbench(c: Cluster, db: string, args: string[]): Promise<string> {
  const r = await run(
    PGBENCH,
    ['-h', c.host, '-p', String(c.port), '-U', 'postgres', ...args, db],
    {
      maxBuffer: 1 << 26,
    },
  )
  return r.stdout + r.stderr
}

/** Tally of pg_stat_activity rows of `db` (plus walsenders) every 100 ms. */
function activitySampler(c: pg.Client, label: string, db: string): () => Promise<void> {
  const tally = new Map<string, number>()
  let n = 0
  let stop = false
  const loop = (async () => {
    while (!stop) {
      const r = await c.query<{ k: string }>(
        `SELECT coalesce(backend_type,'?') || ' ' || coalesce(state,'-') || ' ' || coalesce(wait_event_type,'CPU') || ':' || coalesce(wait_event,'') ||
                CASE WHEN backend_type = 'client backend' AND state = 'active' THEN ' ' || left(regexp_replace(query, '\\s+', ' ', 'g'), 50) ELSE '' END AS k
           FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND (datname = $1 OR backend_type IN ('walsender','logical replication worker','logical replication apply worker'))`,
        [db],
      )
      n++
      for (const row of r.rows) tally.set(row.k, (tally.get(row.k) ?? 0) + 1)
      await new Promise((r) => setTimeout(r, 100))
    }
  })()
  return async () => {
    stop = true
    await loop
    const top = [...tally].sort((a, b) => b[1] - a[1]).slice(0, 25)
    log(`${label}: ${n} samples`)
    for (const [k, v] of top) console.log(`  ${((100 * v) / n).toFixed(0).padStart(4)}%  ${k}`)
  }
}

const pair = await startPair(16, 16)
const { source, target } = pair
try {
  await source.query(`CREATE DATABASE bench`)
  log(`pgbench -i -s ${SCALE}`)
  await pgbench(source, 'bench', ['-i', '-q', '-s', String(SCALE)])
  await source.query(
    `CREATE TABLE hb (id int PRIMARY KEY, ts timestamptz NOT NULL); INSERT INTO hb VALUES (1, clock_timestamp());
     CREATE TABLE small (id bigserial PRIMARY KEY, v int NOT NULL)`,
    [],
    'bench',
  )
  let close = async (): Promise<void> => undefined
  let pause = async (): Promise<void> => undefined
  let resume = async (): Promise<void> => undefined
  const batches = { n: 0, txns: 0, rows: 0, ms: 0 }
  if (MODE === 'native') {
    await target.query(`CREATE DATABASE bench`)
    await pgbench(target, 'bench', ['-i', '-q', '-s', String(SCALE)])
    await target.query(
      `CREATE TABLE hb (id int PRIMARY KEY, ts timestamptz NOT NULL); INSERT INTO hb SELECT 1, ts FROM (VALUES (now())) v(ts);
       CREATE TABLE small (id bigserial PRIMARY KEY, v int NOT NULL)`,
      [],
      'bench',
    )
    await source.query(`CREATE PUBLICATION p FOR ALL TABLES`, [], 'bench')
    await target.query(
      `CREATE SUBSCRIPTION s CONNECTION 'host=127.0.0.1 port=${source.port} user=postgres dbname=bench' PUBLICATION p WITH (copy_data = false)`,
      [],
      'bench',
    )
    close = async () => {
      await target.query(`DROP SUBSCRIPTION s`, [], 'bench')
    }
    pause = async () => {
      await target.query(`ALTER SUBSCRIPTION s DISABLE`, [], 'bench')
      // wait for the worker to let go of the slot
      for (;;) {
        const r = await source.query(
          `SELECT 1 FROM pg_replication_slots WHERE slot_name = 's' AND active`,
        )
        if ((r.rowCount ?? 0) === 0) break
        await new Promise((r) => setTimeout(r, 50))
      }
    }
    resume = async () => {
      await target.query(`ALTER SUBSCRIPTION s ENABLE`, [], 'bench')
    }
  } else if (MODE !== 'none') {
    const task = await createTask({
      name: 'steady-probe',
      source: source.config('bench'),
      target: target.config('postgres'),
      type: 'full+incremental',
      objects: { databases: { bench: true } },
      replicaIdentity: 'full-for-keyless',
    })
    task.on('apply:batch', (e) => {
      batches.n++
      batches.txns += e.transactions
      batches.rows += e.rows
      batches.ms += e.durationMs
    })
    await passPrecheck(task)
    await task.migrateSchema()
    log('full load')
    await task.fullLoad()
    let sync = await task.startIncremental()
    close = async () => {
      await task.close()
    }
    pause = async () => {
      await sync.stop()
    }
    resume = async () => {
      sync = await task.startIncremental()
    }
  }
  const sc = await source.client('bench')
  // MODE=none: no replication, the source's own TPS (lag then reads the source: 0)
  const tc = MODE === 'none' ? await source.client('bench') : await target.client('bench')
  const sa = await source.client('bench')
  const ta = MODE === 'none' ? await source.client('bench') : await target.client('bench')
  // heartbeat
  let hbStop = false
  const hb = (async () => {
    while (!hbStop) {
      await sc.query(`UPDATE hb SET ts = clock_timestamp() WHERE id = 1`)
      await new Promise((r) => setTimeout(r, 200))
    }
  })()
  // wait until the target follows
  for (;;) {
    const r = await tc.query<{ lag: number }>(
      `SELECT extract(epoch FROM clock_timestamp() - ts)::float8 AS lag FROM hb`,
    )
    if ((r.rows[0]?.lag ?? 99) < 1) break
    await new Promise((r) => setTimeout(r, 100))
  }
  log('following; steady pgbench')
  const lags: number[] = []
  let lagStop = false
  const lagLoop = (async () => {
    while (!lagStop) {
      const r = await tc.query<{ lag: number }>(
        `SELECT extract(epoch FROM clock_timestamp() - ts)::float8 AS lag FROM hb`,
      )
      lags.push(r.rows[0]?.lag ?? NaN)
      await new Promise((r) => setTimeout(r, 200))
    }
  })()
  const stopT = activitySampler(ta, 'target', 'bench')
  const stopS = activitySampler(sa, 'source', 'bench')
  const b0 = { ...batches }
  const out = await pgbench(source, 'bench', ['-n', '-c', '4', '-j', '2', '-T', String(SECONDS)])
  const tps = /tps = ([\d.]+)/.exec(out)?.[1] ?? '?'
  const load1 = loadavg()[0] ?? 0
  // catch-up: a final heartbeat after pgbench stopped, until the target shows it
  hbStop = true
  await hb
  const t0 = Date.now()
  const fin = await sc.query<{ ts: string }>(
    `UPDATE hb SET ts = clock_timestamp() WHERE id = 1 RETURNING ts::text`,
  )
  for (;;) {
    const r = await tc.query(`SELECT 1 FROM hb WHERE ts >= $1::timestamptz`, [fin.rows[0]?.ts])
    if ((r.rowCount ?? 0) > 0) break
    await new Promise((r) => setTimeout(r, 10))
  }
  const catchup = (Date.now() - t0) / 1000
  lagStop = true
  await lagLoop
  await stopT()
  await stopS()
  const db = {
    n: batches.n - b0.n,
    txns: batches.txns - b0.txns,
    rows: batches.rows - b0.rows,
    ms: batches.ms - b0.ms,
  }
  log(
    `batches ${db.n}, txns/batch ${(db.txns / db.n).toFixed(1)}, rows/batch ${(db.rows / db.n).toFixed(1)}, ms/batch ${(db.ms / db.n).toFixed(1)}`,
  )
  console.log(
    `RESULT mode=${MODE} case=steady lag_p50_s=${pct(lags, 50).toFixed(3)} lag_p95_s=${pct(lags, 95).toFixed(3)} lag_max_s=${Math.max(...lags).toFixed(3)} catchup_s=${catchup.toFixed(3)} tps=${tps} load1=${load1.toFixed(2)} rss_mb=${Math.round(process.memoryUsage().rss / 2 ** 20)}`,
  )
  if (SMALL > 0) {
    writeFileSync('/tmp/steady-probe-small.sql', `INSERT INTO small (v) VALUES (1);\n`)
    // a backlog: the apply is stopped while one client commits SMALL single-row transactions, so
    // what is timed is the apply's own rate, not the source's commit rate
    await pause()
    const c0 = Date.now()
    const script = ['-n', '-c', '1', '-t', String(SMALL), '-f', '/tmp/steady-probe-small.sql']
    await pgbench(source, 'bench', script)
    const committed = (Date.now() - c0) / 1000
    const stopT2 = activitySampler(ta, 'target small', 'bench')
    const stopS2 = activitySampler(sa, 'source small', 'bench')
    const t1 = Date.now()
    await resume()
    log(`apply resumed in ${Date.now() - t1} ms`)
    for (;;) {
      const r = await tc.query<{ n: number }>(`SELECT count(*)::int AS n FROM small`)
      if ((r.rows[0]?.n ?? 0) >= SMALL) break
      await new Promise((r) => setTimeout(r, 20))
    }
    const applied = (Date.now() - t1) / 1000
    await stopT2()
    await stopS2()
    console.log(
      `RESULT mode=${MODE} case=small_txns source_commit_s=${committed.toFixed(2)} apply_s=${applied.toFixed(2)} txns_per_s=${Math.round(SMALL / applied)} load1=${loadavg()[0]?.toFixed(2)} rss_mb=${Math.round(process.memoryUsage().rss / 2 ** 20)}`,
    )
  }
  for (const c of [sc, tc, sa, ta]) await c.end()
  await close()
} catch (error) {
  console.error(error)
  process.exitCode = 1
} finally {
  await pair.stop()
}
