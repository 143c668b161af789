/**
 * bench:verify:profile — where verify's time goes, in CPU seconds (issue 13: the machine is shared,
 * so wall time says little; the CPU a server's processes spend on a query says much more). Tables
 * and data as bench:verify's (lib/verify-dataset.ts, ROWS rows, default 1M). Two parts (PROFILE=
 * queries | run | all, default all):
 *
 * - queries: each candidate statement on ONE server, one backend, timed by the CPU seconds the
 *   whole cluster spent on it (parallel workers included), A B … B A (PASSES passes in
 *   alternating order, default 2, the median kept; TABLES= and QUERIES= comma lists narrow it).
 *   The statements are verify's own (src/verify/row-sql.ts: `chunk`, one range's fingerprint;
 *   `ranges_bounds`, every range in one pass, a row's range found by a search of the bounds;
 *   `ranges_grid`, the same by arithmetic on an integer key; `buckets` of a keyless table) beside
 *   variants: `text` (the row text alone), `wholerow` (`t::text`), `rowtext` (the row's text
 *   hashed: verify's row hash until the typed per-column hash), `send_hex` (the row's binary
 *   send form, as hex text, hashed), `send_len` (the send form alone), `percol` (each column's
 *   text hashed apart, XORed), `percol_int` (the same, integers cast to int8), `bpchar_text`
 *   (char(n) columns cast to text in the row), `wrapx` (out-of-line columns' hashes inside the
 *   row's text), `grid_flat` and `wrapx_grid_flat` (the grid without the subquery), `naive_md5`.
 *   With parallel query off, then `chunk_parallel` with the server's default (2 workers per
 *   gather).
 * - run: two servers; pgferry's full load, then `verify` (checksum), each measured as the CPU
 *   seconds of each cluster (lib/proc-cpu.ts: postmaster and children, a backend that exits
 *   counted up to its last 100 ms sample) and of this Node process. With BASE=<a
 *   checkout of another revision>, that revision's verify runs on the same data and task,
 *   interleaved with this one's (base, new, new, base, … REPS pairs). While verify runs, each
 *   server is sampled every 100 ms: `busy` is the share of samples with a statement of verify's
 *   running there (1: never idle).
 *
 * Prints the load average with every figure.
 */
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type pg from 'pg'
import * as current from '../src/index.js'
import { readRowKeyShape } from '../src/catalog/row-key.js'
import { canonicalSession } from '../src/verify/canonical-session.js'
import { gridParams, rowSql, type KeyGrid } from '../src/verify/row-sql.js'
import { startCluster, type Cluster } from '../test/harness/cluster.js'
import { eventually } from '../test/harness/incremental-fixture.js'
import { passPrecheck } from '../test/harness/pass-precheck.js'
import { machineHeader } from './lib/machine-header.js'
import { ProcCpu } from './lib/proc-cpu.js'
import { fmt, median } from './lib/stats.js'
import { SEED, SETTINGS as DATASET_SETTINGS } from './lib/verify-dataset.js'

const ROWS = Number(process.env.ROWS ?? 1_000_000)
const REPS = Number(process.env.REPS ?? 2)
const PROFILE = process.env.PROFILE ?? 'all'
const BASE = process.env.BASE
const CHUNK_ROWS = 50_000
/** PROFILE=queries: the tables and candidates to time (comma lists; default all) and passes. */
const TABLES = (process.env.TABLES ?? 'accounts,wide_events,nopk_log,docs_toast').split(',')
const QUERIES = process.env.QUERIES?.split(',')
const PASSES = Number(process.env.PASSES ?? 2)
const SETTINGS = {
  ...DATASET_SETTINGS,
  // no autovacuum beside a measured phase
  autovacuum: 'off',
}
const load = (): string => fmt(os.loadavg()[0] ?? 0)

/** CPU seconds of each named cluster's postmaster and children (backends, parallel workers). */
function clusterMeter(clusters: Record<string, Cluster>): ProcCpu {
  const entries = Object.entries(clusters)
  return new ProcCpu((pid, ppid) => entries.find(([, c]) => pid === c.pid || ppid === c.pid)?.[0])
}

/** CPU seconds this Node process has used so far. */
function nodeCpu(): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1e6
}

const INTS = new Set(['smallint', 'integer', 'bigint'])

/** XOR of each column's hash (seeded by its position, NULL a constant); integers hashed as such. */
function perColumn(columns: readonly { name: string; type: string }[], ints: boolean): string {
  return columns
    .map((c, i) =>
      ints && INTS.has(c.type)
        ? `coalesce(hashint8extended(${c.name}::int8, ${i + 1}), ${i + 1})`
        : `coalesce(hashtextextended(${c.name}::text, ${i + 1}), ${i + 1})`,
    )
    .join(' # ')
}

/** The candidate statements of one table (see the header). */
async function candidates(
  c: pg.Client,
  table: string,
): Promise<Record<string, [string, unknown[]]>> {
  const oid = (await c.query<{ oid: number }>(`SELECT $1::regclass::oid AS oid`, [table])).rows[0]
    ?.oid as number
  const shape = await readRowKeyShape(c, oid)
  const st = await c.query<{ name: string; storage: string }>(
    `SELECT attname AS name, attstorage AS storage FROM pg_attribute
      WHERE attrelid = $1::oid AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [oid],
  )
  // verify's own statements
  const sql = rowSql(table, shape.columns, shape.key)
  const cols = shape.columns.map((x) => x.name).join(', ')
  const out: Record<string, [string, unknown[]]> = {
    count: [`SELECT count(*) FROM ONLY ${table}`, []],
    text: [`SELECT sum(length(ROW(${cols})::text)) FROM ONLY ${table}`, []],
    wholerow: [`SELECT count(*), sum(hashtextextended(t::text, 0)) FROM ONLY ${table} t`, []],
    percol: [`SELECT count(*), sum(${perColumn(shape.columns, false)}) FROM ONLY ${table}`, []],
    percol_int: [`SELECT count(*), sum(${perColumn(shape.columns, true)}) FROM ONLY ${table}`, []],
    send_hex: [
      `SELECT count(*), sum(hashtextextended(record_send(ROW(${cols}))::text, 0)) FROM ONLY ${table}`,
      [],
    ],
    rowtext: [
      `SELECT count(*), sum(hashtextextended(ROW(${cols})::text, 0)) FROM ONLY ${table}`,
      [],
    ],
    send_len: [`SELECT count(*), sum(length(record_send(ROW(${cols})))) FROM ONLY ${table}`, []],
  }
  const wrapped = st.rows
    .map((x) => (['x', 'e'].includes(x.storage) ? `hashtextextended(${x.name}::text, 0)` : x.name))
    .join(', ')
  const wrapHash = `hashtextextended(ROW(${wrapped})::text, 0)`
  const castCols = shape.columns
    .map((x) => (/^character(\(|$)/.test(x.type) ? `${x.name}::text` : x.name))
    .join(', ')
  out.bpchar_text = [
    `SELECT count(*), sum(hashtextextended(ROW(${castCols})::text, 0)) FROM ONLY ${table}`,
    [],
  ]
  out.wrapx = [`SELECT count(*), sum(${wrapHash}) FROM ONLY ${table}`, []]
  const key = shape.key?.[0]?.name
  if (shape.key === null || key === undefined) {
    out.buckets = [sql.buckets(), []]
    return out
  }
  const chunk = sql.chunk({ lo: null, hi: null })
  out.chunk = [chunk.text, chunk.values]
  const mm = await c.query<{ lo: string; hi: string }>(
    `SELECT min(${key})::text AS lo, max(${key})::text AS hi FROM ONLY ${table}`,
  )
  const lo = BigInt(mm.rows[0]?.lo ?? 0)
  const span = BigInt(mm.rows[0]?.hi ?? 0) - lo + 1n
  const chunks = (BigInt(ROWS) + BigInt(CHUNK_ROWS) - 1n) / BigInt(CHUNK_ROWS)
  const width = (span + chunks - 1n) / chunks
  const grid: KeyGrid = { base: lo - 1n, width, count: Number((span + width - 1n) / width) }
  const bounds = Array.from({ length: grid.count - 1 }, (_, i) =>
    String(grid.base + BigInt(i + 1) * width),
  )
  out.ranges_bounds = [sql.ranges(), [bounds]]
  out.ranges_grid = [sql.gridRanges(), gridParams(grid)]
  const r = `CASE WHEN ${key} <= $1::int8 THEN 0 WHEN ${key} > $2::int8 THEN $5::int8
                  ELSE (${key} - $3::int8) / $4::int8 END`
  const flat = (h: string): string =>
    `SELECT ${r} AS r, count(*), sum(${h}) FROM ONLY ${table} GROUP BY 1`
  out.grid_flat = [flat(`hashtextextended(ROW(${cols})::text, 0)`), gridParams(grid)]
  out.wrapx_grid_flat = [flat(wrapHash), gridParams(grid)]
  out.naive_md5 = [`SELECT md5(string_agg(t::text, '' ORDER BY ${key})) FROM ONLY ${table} t`, []]
  return out
}

async function profileQueries(): Promise<void> {
  const c = await startCluster({ major: 16, settings: SETTINGS })
  try {
    for (const line of await machineHeader({ server: c })) console.log(line)
    const db = await c.createDatabase('prof')
    await c.query(SEED(ROWS), [], db)
    await c.query('VACUUM ANALYZE', [], db)
    const client = await c.client(db)
    await canonicalSession(client)
    const meter = clusterMeter({ server: c })
    meter.start()
    const serverCpu = (): number => meter.mark().server ?? 0
    for (const table of TABLES) {
      const qs = await candidates(client, table)
      await client.query(`SELECT count(*) FROM ${table}`) // warm
      const cpu: Record<string, number[]> = {}
      const wall: Record<string, number[]> = {}
      const time = async (name: string, text: string, values: unknown[]): Promise<void> => {
        const c0 = serverCpu()
        const t0 = performance.now()
        await client.query(text, values)
        ;(wall[name] ??= []).push((performance.now() - t0) / 1000)
        ;(cpu[name] ??= []).push(serverCpu() - c0)
      }
      const names = Object.keys(qs).filter((q) => QUERIES === undefined || QUERIES.includes(q))
      const orders = Array.from({ length: PASSES }, (_, i) =>
        i % 2 === 0 ? names : [...names].reverse(),
      )
      for (const order of orders) {
        await client.query(`SET max_parallel_workers_per_gather = 0`)
        for (const q of order) await time(q, ...(qs[q] as [string, unknown[]]))
        if (
          qs.chunk !== undefined &&
          (QUERIES === undefined || QUERIES.includes('chunk_parallel'))
        ) {
          await client.query(`RESET max_parallel_workers_per_gather`)
          await time('chunk_parallel', ...qs.chunk)
        }
      }
      for (const q of Object.keys(cpu))
        console.log(
          `query table=${table} q=${q} cpu_s=${fmt(median(cpu[q] ?? []))} wall_s=${fmt(median(wall[q] ?? []))} cpu_runs=${(cpu[q] ?? []).map((x) => fmt(x)).join(',')} load1=${load()}`,
        )
    }
    meter.stop()
    await client.end()
  } finally {
    await c.stop()
  }
}

/** verify's statements running on `c` now. */
async function running(monitor: pg.Client): Promise<number> {
  const r = await monitor.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE application_name = 'pgferry' AND state = 'active' AND backend_type = 'client backend'`,
  )
  return r.rows[0]?.n ?? 0
}

/** pgferry's connections on `c`. */
async function connections(monitor: pg.Client): Promise<number> {
  const r = await monitor.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'pgferry'`,
  )
  return r.rows[0]?.n ?? 0
}

interface Measured {
  wall: number
  source: number
  target: number
  node: number
  busySource: number
  busyTarget: number
}

/** Run `fn` measuring each side's CPU seconds and how busy verify kept each server. */
async function measure(
  source: Cluster,
  target: Cluster,
  monitors: [pg.Client, pg.Client],
  fn: () => Promise<unknown>,
): Promise<Measured> {
  const idle = await Promise.all(monitors.map(connections))
  const meter = clusterMeter({ source, target })
  meter.start()
  const node0 = nodeCpu()
  const samples: [number, number][] = []
  let sampling = true
  const sampler = (async () => {
    while (sampling) {
      const [s, d] = await Promise.all(monitors.map(running))
      samples.push([s ?? 0, d ?? 0])
      await new Promise((r) => setTimeout(r, 100))
    }
  })()
  const t0 = performance.now()
  await fn()
  const wall = (performance.now() - t0) / 1000
  sampling = false
  await sampler
  // the closed connections' backends finish their exit before the last sample
  await eventually(
    async () => (await Promise.all(monitors.map(connections))).every((n, i) => n <= (idle[i] ?? 0)),
    60_000,
  )
  const used = meter.stop()
  const node = nodeCpu() - node0
  const busy = (i: 0 | 1): number =>
    samples.filter((s) => s[i] > 0).length / Math.max(1, samples.length)
  return {
    wall,
    source: used.source ?? 0,
    target: used.target ?? 0,
    node,
    busySource: busy(0),
    busyTarget: busy(1),
  }
}

function fields(m: Measured): string {
  return `wall_s=${fmt(m.wall)} cpu_s=${fmt(m.source + m.target + m.node)} source_cpu_s=${fmt(m.source)} target_cpu_s=${fmt(m.target)} node_cpu_s=${fmt(m.node)} busy_source=${fmt(m.busySource)} busy_target=${fmt(m.busyTarget)} load1=${load()}`
}

async function profileRun(): Promise<void> {
  const [source, target] = await Promise.all([
    startCluster({ major: 16, settings: SETTINGS }),
    startCluster({ major: 16, settings: SETTINGS }),
  ])
  const monitors: [pg.Client, pg.Client] = [
    await source.client('postgres'),
    await target.client('postgres'),
  ]
  let task: current.Task | undefined
  try {
    for (const line of await machineHeader({ source, target })) console.log(line)
    const db = await source.createDatabase('bench_verify')
    await source.query(SEED(ROWS), [], db)
    await source.query('VACUUM ANALYZE', [], db)
    task = await current.createTask({
      name: 'bench-verify-profile',
      source: source.config(db),
      target: target.config('postgres'),
      type: 'full',
      objects: { databases: { [db]: true } },
    })
    await passPrecheck(task)
    await task.migrateSchema()
    const full = await measure(source, target, monitors, () => (task as current.Task).fullLoad())
    console.log(`fullload ${fields(full)}`)
    const ours = task
    const variants: Record<string, () => Promise<current.VerifyReport>> = {
      new: () => ours.verify({ mode: 'checksum' }),
    }
    if (BASE !== undefined) {
      const base = (await import(
        pathToFileURL(path.join(path.resolve(BASE), 'src/index.ts')).href
      )) as typeof current
      const theirs = await base.openTask(task.id, { target: target.config('postgres') })
      variants.base = () => theirs.verify({ mode: 'checksum' })
    }
    // one unmeasured pass: the target's first scan after the copy sets hint bits (writes)
    await ours.verify({ mode: 'checksum' })
    const names = Object.keys(variants)
    const results: Record<string, Measured[]> = {}
    for (let i = 0; i < REPS; i++) {
      for (const name of i % 2 === 0 ? [...names].reverse() : names) {
        const m = await measure(source, target, monitors, async () => {
          const r = await (variants[name] as () => Promise<current.VerifyReport>)()
          if (!r.equal) throw new Error(`verify (${name}) found a difference on equal data`)
        })
        ;(results[name] ??= []).push(m)
        console.log(`verify variant=${name} ${fields(m)}`)
      }
    }
    const fullCpu = full.source + full.target + full.node
    for (const name of names) {
      const ms = results[name] ?? []
      const cpu = median(ms.map((m) => m.source + m.target + m.node))
      console.log(
        `RESULT name=verify-profile variant=${name} rows=${ROWS} verify_cpu_s=${fmt(cpu)} source_cpu_s=${fmt(median(ms.map((m) => m.source)))} target_cpu_s=${fmt(median(ms.map((m) => m.target)))} fullload_cpu_s=${fmt(fullCpu)} cpu_vs_fullload=${fmt(cpu / fullCpu)} verify_wall_s=${fmt(median(ms.map((m) => m.wall)))} fullload_wall_s=${fmt(full.wall)} busy_source=${fmt(median(ms.map((m) => m.busySource)))} busy_target=${fmt(median(ms.map((m) => m.busyTarget)))} load1=${load()}`,
      )
    }
  } finally {
    await task?.close()
    await Promise.all(monitors.map((m) => m.end()))
    await Promise.all([source.stop(), target.stop()])
  }
}

if (PROFILE === 'queries' || PROFILE === 'all') await profileQueries()
if (PROFILE === 'run' || PROFILE === 'all') await profileRun()
