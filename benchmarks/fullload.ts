/**
 * bench:fullload — pgferry's full load against its peers, on the same two clusters and data, in
 * one run (../shared/bench/README.md):
 *
 * 1. Whole database, ROUNDS rounds (default 2): pgferry (`migrateSchema` + `fullLoad`: data, then
 *    PK/indexes, ANALYZE) and `pgcopydb clone --table-jobs N --index-jobs N`, parallelism N = 2,
 *    in turn, the order swapped every round so that neither tool always runs first on the
 *    clusters. Before each run the previous copy is dropped and both clusters checkpointed (the
 *    source was VACUUM ANALYZEd after seeding, the target's WAL pre-warmed), so no tool runs beside
 *    the other's autovacuum or dirty buffers. Medians are compared (`ratio_vs_pgcopydb`); each
 *    round's ratio is printed too. pgcopydb (Debian package 0.10) needs the pg_dump/pg_restore of
 *    the server's major: hence PostgreSQL 15 clusters from Debian's /usr/lib/postgresql/15/bin,
 *    run as `nobody` through the test harness.
 * 2. The floor, as issue 5 names it: `psql -c 'COPY t TO STDOUT (FORMAT binary)' | psql -c 'COPY t
 *    FROM STDIN (FORMAT binary)'` into an index-less table; beside it the same pipe in Node with
 *    pg-copy-streams (`node_floor_ratio`); and pgferry copying pgbench_accounts alone (parallelism
 *    1, so in one piece: see autoSplitSize) into the same kind of table, interleaved SINGLE_REPEATS
 *    times (default 3: psql floor, Node floor, pgferry; pgferry, Node floor, psql floor; …). Each
 *    run's CPU seconds (Node, source cluster, target cluster) are logged beside its time.
 *    `floor_ratio` = median psql floor time / median pgferry time (≥ 0.9 is the target). The other
 *    tables' psql floors are measured once, for the record.
 *
 * Dataset (like ../shared/bench/seed-source.sh): pgbench -i -s SCALE (default 40: 4M accounts),
 * wide_events (1M rows, 16 typed columns), nopk_log (500k rows), docs_toast (50k × 8 KB TOASTed
 * text). SCALE=40 is about 1.5 GB.
 *
 * Prints `RESULT name=fullload wall_s=… pgcopydb_s=… ratio_vs_pgcopydb=… floor_ratio=… rss_mb=…`.
 */
import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { promisify } from 'node:util'
import pg from 'pg'
import pgCopy from 'pg-copy-streams'
import { createTask } from '../src/index.js'
import { startCluster } from '../test/harness/cluster.js'
import { passPrecheck } from '../test/harness/pass-precheck.js'

const run = promisify(execFile)
const PGBIN = process.env.PGBIN ?? '/usr/lib/postgresql/15/bin'
const SCALE = Number(process.env.SCALE ?? 40)
/** Multiplier of the extra tables' row counts (1 = the shared bench's sizes); for quick trials. */
const EXTRA = Number(process.env.EXTRA ?? 1)
const PARALLELISM = Number(process.env.PARALLELISM ?? 2)
/** splitTablesLargerThan for the whole-database run (bytes); defaults to pgferry's default. */
const SPLIT = process.env.SPLIT === undefined ? undefined : Number(process.env.SPLIT)
/**
 * A second pgferry variant with this split size, run in every round beside the first (the three
 * runs of a round rotate, so each goes first once in three rounds); its median is logged and
 * reported as `wall_b_s`. For choosing the split default on the same clusters in one run.
 */
const SPLIT_B = process.env.SPLIT_B === undefined ? undefined : Number(process.env.SPLIT_B)
const SKIP_PGCOPYDB = process.env.SKIP_PGCOPYDB === '1'
/** Whole-database rounds; each runs both tools, the order swapped every round. */
const ROUNDS = Number(process.env.ROUNDS ?? 2)
/** Interleaved floor / pgferry-alone measurements of pgbench_accounts (medians are reported). */
const SINGLE_REPEATS = Number(process.env.SINGLE_REPEATS ?? 3)
const ROOT = '/tmp/pgferry-bench'
const SETTINGS: Record<string, string | number> = {
  // the harness turns these off for tests; every recorded bench run had them on
  fsync: 'on',
  full_page_writes: 'on',
  listen_addresses: '127.0.0.1',
  max_connections: 100,
  shared_buffers: '512MB',
  work_mem: '32MB',
  maintenance_work_mem: '512MB',
  max_wal_size: '4GB',
  min_wal_size: '1GB',
  checkpoint_timeout: '30min',
  max_parallel_maintenance_workers: 2,
  wal_level: 'logical',
  max_replication_slots: 10,
  max_wal_senders: 10,
  logging_collector: 'off',
  log_checkpoints: 'off',
  log_min_messages: 'warning',
}

interface Server {
  port: number
  /** CPU seconds the cluster used so far (postmaster, its live children, its reaped children). */
  cpu(): number
  url(db: string): string
  query(sql: string, db?: string): Promise<pg.QueryResult>
  stop(): Promise<void>
}

const log = (m: string): void => console.error(`[${new Date().toISOString().slice(11, 19)}] ${m}`)

/** /proc/<pid>/stat: [ppid, utime+stime, cutime+cstime] in seconds (USER_HZ = 100). */
function procStat(pid: number): [number, number, number] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = raw.slice(raw.lastIndexOf(')') + 2).split(' ')
    const n = (i: number): number => Number(f[i - 3])
    return [n(4), (n(14) + n(15)) / 100, (n(16) + n(17)) / 100]
  } catch {
    return undefined
  }
}

/** CPU seconds of a postmaster, its live children and the children it reaped. */
function clusterCpu(postmaster: number): number {
  const own = procStat(postmaster)
  let total = own === undefined ? 0 : own[1] + own[2]
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    const st = procStat(Number(d))
    if (st !== undefined && st[0] === postmaster) total += st[1]
  }
  return total
}

/** CPU seconds of this process's reaped children (pgcopydb, pg_dump, pg_restore). */
function childrenCpu(): number {
  return procStat(process.pid)?.[2] ?? 0
}

/** A Debian PostgreSQL 15 cluster through the test harness (pgcopydb needs that major's pg_dump). */
async function startServer(): Promise<Server> {
  const c = await startCluster({ major: 15, bin: PGBIN, settings: SETTINGS })
  return {
    port: c.port,
    cpu: () => clusterCpu(c.pid),
    url: (db) => c.url(db),
    query: (sql, db = 'postgres') => c.query(sql, [], db),
    stop: () => c.stop(),
  }
}

const EXTRA_TABLES = (n: (rows: number) => number): string => `
SELECT setseed(0.42);
CREATE TABLE wide_events (
  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, account_id integer NOT NULL,
  event_type text NOT NULL, title varchar(120), body text, attrs jsonb, amount numeric(14,2),
  ratio double precision, created_at timestamptz NOT NULL, event_date date, active boolean,
  ref uuid, tags text[], scores integer[], payload bytea, client_ip inet);
INSERT INTO wide_events
SELECT g, (hashint4(g) & 2147483647) % 4000000 + 1,
       (ARRAY['click','view','purchase','signup','logout'])[g % 5 + 1],
       'event ' || left(md5(g::text), 16),
       CASE WHEN g % 10 = 0 THEN NULL ELSE repeat(md5(g::text || 'b'), 1 + g % 3) END,
       jsonb_build_object('v', 1, 'src', left(md5(g::text || 'j'), 8), 'n', (g % 1000) / 8.0,
                          'flags', jsonb_build_array(g % 2 = 0, g % 3 = 0)),
       ((g::bigint * 7919) % 10000000) / 100.0, (g % 997) / 997.0,
       timestamptz '2020-01-01 00:00:00+00' + g * interval '17 seconds', date '2020-01-01' + (g % 1500),
       g % 3 = 0, md5(g::text || 'u')::uuid, ARRAY['t' || (g % 50), 't' || (g % 7)],
       ARRAY[g % 100, g % 1000, g % 10000], decode(md5(g::text || 'x'), 'hex'),
       ('10.' || (g >> 16) % 256 || '.' || (g >> 8) % 256 || '.' || g % 256)::inet
FROM generate_series(1, ${n(1000000)}) g;
SELECT setval(pg_get_serial_sequence('wide_events', 'id'), ${n(1000000)});
CREATE INDEX wide_events_account_idx ON wide_events (account_id);
CREATE INDEX wide_events_created_idx ON wide_events (created_at);
CREATE TABLE nopk_log (logged_at timestamptz NOT NULL, level text NOT NULL, host text, msg text, val bigint);
INSERT INTO nopk_log
SELECT timestamptz '2021-06-01 00:00:00+00' + g * interval '1 second', (ARRAY['DEBUG','INFO','WARN','ERROR'])[g % 4 + 1],
       'host-' || (g % 32), 'request ' || md5(g::text) || ' done', hashint8(g::bigint)
FROM generate_series(1, ${n(500000)}) g;
CREATE INDEX nopk_log_logged_at_idx ON nopk_log (logged_at);
CREATE TABLE docs_toast (id integer PRIMARY KEY, name text NOT NULL, content text NOT NULL);
INSERT INTO docs_toast
SELECT g, 'doc-' || g, (SELECT string_agg(md5(g::text || '-' || j), '' ORDER BY j) FROM generate_series(1, 256) j)
FROM generate_series(1, ${n(50000)}) g;
`

const TABLES = [
  'pgbench_accounts',
  'wide_events',
  'docs_toast',
  'nopk_log',
  'pgbench_history',
  'pgbench_tellers',
  'pgbench_branches',
]

async function counts(server: Server, db: string): Promise<string> {
  const out: string[] = []
  for (const t of TABLES) {
    const r = await server.query(`SELECT count(*)::text AS n FROM ${t}`, db)
    out.push(`${t}=${String(r.rows[0]?.n)}`)
  }
  return out.join(',')
}

/** CREATE TABLE without indexes or constraints, from the source's columns. */
async function bareTable(source: Server, table: string): Promise<string> {
  const r = await source.query(
    `SELECT string_agg(quote_ident(attname) || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum) AS cols
       FROM pg_attribute WHERE attrelid = '${table}'::regclass AND attnum > 0 AND NOT attisdropped`,
    'bench',
  )
  return `CREATE TABLE ${table} (${String(r.rows[0]?.cols)})`
}

async function floorCopy(
  source: Server,
  target: Server,
  db: string,
  table: string,
): Promise<number> {
  const s = new pg.Client(source.url('bench'))
  const t = new pg.Client(target.url(db))
  await s.connect()
  await t.connect()
  const t0 = performance.now()
  await pipeline(
    s.query(pgCopy.to(`COPY ${table} TO STDOUT (FORMAT binary)`)),
    t.query(pgCopy.from(`COPY ${table} FROM STDIN (FORMAT binary)`)),
  )
  const s1 = (performance.now() - t0) / 1000
  await s.end()
  await t.end()
  return s1
}

/**
 * Phase sampler: polls the target's pg_stat_activity for one database every SAMPLE_MS and
 * integrates, per kind of statement (COPY, CREATE INDEX, ALTER TABLE, ANALYZE, VACUUM, parallel
 * workers, idle in transaction, other), the session-seconds spent and the first/last time seen,
 * plus how long 0, 1, 2… COPY sessions ran at once between the first and the last COPY. The same
 * sampler watches pgferry and pgcopydb, so their phases compare.
 */
const SAMPLE_MS = 100
interface Phases {
  stop(): Promise<string>
}
function classify(backend: string, state: string | null, query: string): string | undefined {
  if (backend === 'parallel worker') return 'pworker'
  if (backend === 'autovacuum worker') return 'autovacuum'
  if (backend !== 'client backend') return undefined
  if (state === 'idle in transaction') return 'idle_tx'
  if (state !== 'active') return undefined
  const q = query.trimStart().toUpperCase()
  if (q.startsWith('COPY')) return 'copy'
  if (q.startsWith('CREATE UNIQUE INDEX') || q.startsWith('CREATE INDEX')) return 'index'
  if (q.startsWith('ALTER TABLE')) return 'alter'
  if (q.startsWith('ANALYZE')) return 'analyze'
  if (q.startsWith('VACUUM')) return 'vacuum'
  return 'other'
}
async function samplePhases(server: Server, db: string): Promise<Phases> {
  const c = new pg.Client(server.url('postgres'))
  await c.connect()
  const t0 = performance.now()
  const seconds: Record<string, number> = {}
  const first: Record<string, number> = {}
  const last: Record<string, number> = {}
  const copiesAt: number[] = []
  const waits: Record<string, number> = {} // COPY session-seconds by wait event ('cpu' = none)
  let stopped = false
  let prev = performance.now()
  const loop = (async () => {
    while (!stopped) {
      const r = await c.query<{
        backend_type: string
        state: string | null
        query: string
        wait: string | null
      }>(
        `SELECT backend_type, state, query, wait_event_type || ':' || wait_event AS wait
           FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [db],
      )
      const now = performance.now()
      const dt = (now - prev) / 1000
      prev = now
      const at = (now - t0) / 1000
      let copies = 0
      for (const row of r.rows) {
        const k = classify(row.backend_type, row.state, row.query)
        if (k === undefined) continue
        seconds[k] = (seconds[k] ?? 0) + dt
        first[k] ??= at
        last[k] = at
        if (k === 'copy') {
          copies++
          const w = row.wait ?? 'cpu'
          waits[w] = (waits[w] ?? 0) + dt
        }
      }
      copiesAt.push(copies, dt)
      await new Promise((res) => setTimeout(res, SAMPLE_MS))
    }
  })()
  return {
    async stop() {
      stopped = true
      await loop
      await c.end()
      const lanes: Record<number, number> = {}
      const f = first.copy ?? 0
      const l = last.copy ?? 0
      let at = 0
      for (let i = 0; i < copiesAt.length; i += 2) {
        const n = copiesAt[i] as number
        const dt = copiesAt[i + 1] as number
        at += dt
        if (at >= f && at <= l) lanes[n] = (lanes[n] ?? 0) + dt
      }
      const kinds = Object.keys(seconds)
        .sort()
        .map(
          (k) =>
            `${k}=${(seconds[k] ?? 0).toFixed(1)}s@${(first[k] ?? 0).toFixed(1)}-${(last[k] ?? 0).toFixed(1)}`,
        )
      const conc = Object.entries(lanes)
        .map(([n, s]) => `${n}:${s.toFixed(1)}s`)
        .join(',')
      const waited = Object.entries(waits)
        .sort((a, b) => b[1] - a[1])
        .map(([w, sec]) => `${w}:${sec.toFixed(1)}s`)
        .join(',')
      return `${kinds.join(' ')} copy_concurrency{${conc}} copy_waits{${waited}} sampled=${((performance.now() - t0) / 1000).toFixed(1)}s`
    },
  }
}

const median = (xs: readonly number[]): number => {
  const v = [...xs].sort((a, b) => a - b)
  const m = Math.floor(v.length / 2)
  return v.length % 2 === 1 ? (v[m] as number) : ((v[m - 1] as number) + (v[m] as number)) / 2
}

/** Drop a target database and checkpoint both clusters: the next tool starts on settled servers. */
async function settle(source: Server, target: Server, drop: string | undefined): Promise<void> {
  if (drop !== undefined) await target.query(`DROP DATABASE IF EXISTS ${drop} WITH (FORCE)`)
  await target.query('CHECKPOINT')
  await source.query('CHECKPOINT')
}

interface FerryRun {
  readonly wall: number
  readonly rows: number
  readonly rssMb: number
  readonly schemaS: number
  readonly nodeCpuS: number
  readonly nodeUserS: number
  readonly nodeSysS: number
  readonly srcCpu: number
  readonly tgtCpu: number
}

/** pgferry: structure + full load of the whole database into `db`, checked by row counts. */
async function ferryRun(
  source: Server,
  target: Server,
  db: string,
  sourceCounts: string,
  split: number | undefined = SPLIT,
): Promise<FerryRun> {
  const task = await createTask({
    name: 'bench fullload',
    source: source.url('bench'),
    target: target.url('postgres'),
    type: 'full',
    objects: { databases: { bench: { as: db } } },
    parallelism: PARALLELISM,
    store: 'memory',
    ...(split !== undefined ? { splitTablesLargerThan: split } : {}),
  })
  await passPrecheck(task)
  const copied: Record<string, number> = {}
  task.on('table:copied', (e) => (copied[e.table] = e.durationMs / 1000))
  // event timeline (s since the load started): table start/copied, last chunk, post-data steps
  let s0 = 0
  const since = (): number => (performance.now() - s0) / 1000
  const timeline: string[] = []
  let lastChunk = 0
  let lastPost = 0
  task.on('table:start', (e) =>
    timeline.push(`${since().toFixed(1)} start ${e.table} ×${e.chunks}`),
  )
  task.on('table:copied', (e) => timeline.push(`${since().toFixed(1)} copied ${e.table}`))
  task.on('chunk:progress', (e) => {
    if (!e.done) return
    lastChunk = since()
    timeline.push(`${lastChunk.toFixed(1)} chunk ${e.table} ${e.chunk}`)
  })
  task.on('schema:object', (e) => {
    if (e.phase !== 'post-data') return
    lastPost = since()
    timeline.push(`${lastPost.toFixed(1)} post ${e.kind} ${e.name}`)
  })
  const w0 = performance.now()
  await task.migrateSchema()
  s0 = performance.now()
  const phases = await samplePhases(target, db)
  const cpu0 = process.cpuUsage()
  const srcCpu0 = source.cpu()
  const tgtCpu0 = target.cpu()
  const result = await task.fullLoad()
  const loadS = since()
  const cpu = process.cpuUsage(cpu0)
  const srcCpu = source.cpu() - srcCpu0
  const tgtCpu = target.cpu() - tgtCpu0
  const phaseLine = await phases.stop()
  const wall = (performance.now() - w0) / 1000
  const schemaS = (s0 - w0) / 1000
  const rssMb = process.resourceUsage().maxRSS / 1024
  await task.close()
  const got = await counts(target, db)
  if (got !== sourceCounts) throw new Error(`pgferry counts differ: ${got} vs ${sourceCounts}`)
  const run: FerryRun = {
    wall,
    rows: result.rows,
    rssMb,
    schemaS,
    nodeCpuS: (cpu.user + cpu.system) / 1e6,
    nodeUserS: cpu.user / 1e6,
    nodeSysS: cpu.system / 1e6,
    srcCpu,
    tgtCpu,
  }
  log(
    `pgferry: ${wall.toFixed(2)} s (schema ${schemaS.toFixed(2)} s), ${result.rows} rows, rss ${rssMb.toFixed(0)} MB; per table copy s: ${JSON.stringify(copied)}`,
  )
  log(`pgferry timeline:\n  ${timeline.join('\n  ')}`)
  log(
    `pgferry phases: load ${loadS.toFixed(2)} s (CPU s: Node ${run.nodeCpuS.toFixed(1)} (user ${run.nodeUserS.toFixed(1)}, sys ${run.nodeSysS.toFixed(1)}), source cluster ${srcCpu.toFixed(1)}, target cluster ${tgtCpu.toFixed(1)}), last chunk ${lastChunk.toFixed(2)} s, last post-data step ${lastPost.toFixed(2)} s; target activity ${phaseLine}`,
  )
  return run
}

/** `pgcopydb clone` of the whole database into `db`; NaN when it failed or counts differ. */
async function pgcopydbRun(
  source: Server,
  target: Server,
  db: string,
  sourceCounts: string,
): Promise<number> {
  await target.query(`CREATE DATABASE ${db}`)
  const dir = path.join(ROOT, 'pgcopydb-work')
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(ROOT, { recursive: true })
  const phases = await samplePhases(target, db)
  const cpu0 = [childrenCpu(), source.cpu(), target.cpu()]
  const p0 = performance.now()
  let seconds = Number.NaN
  let note = 'ok'
  let cpuLine = ''
  try {
    const out = await run(
      'pgcopydb',
      [
        'clone',
        '--source',
        source.url('bench'),
        '--target',
        target.url(db),
        '--dir',
        dir,
        '--table-jobs',
        String(PARALLELISM),
        '--index-jobs',
        String(PARALLELISM),
      ],
      {
        env: { ...process.env, PATH: `${PGBIN}:${process.env.PATH ?? ''}` },
        maxBuffer: 1 << 28,
      },
    )
    seconds = (performance.now() - p0) / 1000
    cpuLine = `CPU s: pgcopydb+pg_dump+pg_restore ${(childrenCpu() - (cpu0[0] ?? 0)).toFixed(1)}, source cluster ${(source.cpu() - (cpu0[1] ?? 0)).toFixed(1)}, target cluster ${(target.cpu() - (cpu0[2] ?? 0)).toFixed(1)}`
    // pgcopydb's own per-step summary (the last lines of its log)
    const summary = String(out.stderr)
      .split('\n')
      .slice(-40)
      .filter((l) =>
        /Step|Total|Dump|Prepare|COPY|CREATE|Finalize|Vacuum|Catalog|Large|Sequence|Index|Constraint|---/.test(
          l,
        ),
      )
    log(`pgcopydb summary:\n  ${summary.join('\n  ')}`)
    if ((await counts(target, db)) !== sourceCounts) note = 'counts-differ'
  } catch (error) {
    note = 'failed'
    log(`pgcopydb failed: ${String((error as { stderr?: string }).stderr ?? error).slice(-2000)}`)
  }
  rmSync(dir, { recursive: true, force: true })
  log(`pgcopydb clone: ${seconds.toFixed(2)} s (${note})`)
  log(`pgcopydb phases (${cpuLine}): target activity ${await phases.stop()}`)
  return note === 'ok' ? seconds : Number.NaN
}

/** `psql … COPY TO STDOUT | psql … COPY FROM STDIN`, binary, as two processes and a shell pipe. */
async function psqlFloorCopy(
  source: Server,
  target: Server,
  db: string,
  table: string,
): Promise<number> {
  const psql = path.join(PGBIN, 'psql')
  const side = (url: string, sql: string): string => `${psql} -X -q -d '${url}' -c '${sql}'`
  const t0 = performance.now()
  await run('bash', [
    '-c',
    `set -o pipefail; ${side(source.url('bench'), `COPY ${table} TO STDOUT (FORMAT binary)`)} | ${side(target.url(db), `COPY ${table} FROM STDIN (FORMAT binary)`)}`,
  ])
  return (performance.now() - t0) / 1000
}

/** The floor for one table: a plain binary COPY pipe (psql's or Node's) into a fresh index-less table. */
async function floorRun(
  source: Server,
  target: Server,
  table: string,
  kind: 'psql' | 'node' = 'psql',
): Promise<number> {
  await target.query('CREATE DATABASE floor')
  await target.query(await bareTable(source, table), 'floor')
  await target.query('CHECKPOINT')
  const cpu = cpuMeter(source, target)
  const s = await (kind === 'psql' ? psqlFloorCopy : floorCopy)(source, target, 'floor', table)
  log(`${kind} floor ${table}: ${s.toFixed(2)} s; ${cpu()}`)
  await settle(source, target, 'floor')
  return s
}

/** CPU seconds (Node, source cluster, target cluster) from now to the call of what it returns. */
function cpuMeter(source: Server, target: Server): () => string {
  const node0 = process.cpuUsage()
  const src0 = source.cpu()
  const tgt0 = target.cpu()
  return () => {
    const node = process.cpuUsage(node0)
    return `CPU s: Node ${((node.user + node.system) / 1e6).toFixed(2)}, source ${(source.cpu() - src0).toFixed(2)}, target ${(target.cpu() - tgt0).toFixed(2)}`
  }
}

/** pgferry copying pgbench_accounts alone (parallelism 1) into a fresh index-less table. */
async function singleRun(source: Server, target: Server): Promise<number> {
  await target.query('CREATE DATABASE single')
  await target.query(await bareTable(source, 'pgbench_accounts'), 'single')
  await target.query('CHECKPOINT')
  const single = await createTask({
    name: 'bench single table',
    source: source.url('bench'),
    target: target.url('single'),
    type: 'full',
    objects: {
      databases: {
        bench: { as: 'single', schemas: { public: { tables: ['pgbench_accounts'] } } },
      },
    },
    parallelism: 1,
    store: 'memory',
  })
  await single.store.updateTask(single.id, { state: 'running_structure' })
  await single.refresh()
  // the table's copy time (first chunk started → last chunk committed), as the floor times its pipe
  let s = Number.NaN
  single.on('table:copied', (e) => (s = e.durationMs / 1000))
  let chunks = 0
  single.on('table:start', (e) => (chunks = e.chunks))
  const cpu = cpuMeter(source, target)
  await single.fullLoad()
  log(`pgferry alone pgbench_accounts: ${s.toFixed(2)} s in ${chunks} chunk(s); ${cpu()}`)
  await single.close()
  await settle(source, target, 'single')
  return s
}

async function main(): Promise<void> {
  log(`starting PostgreSQL 15 clusters from ${PGBIN}`)
  const [source, target] = await Promise.all([startServer(), startServer()])
  try {
    await source.query('CREATE DATABASE bench')
    const seed0 = Date.now()
    log(`seeding: pgbench -i -s ${SCALE} + wide_events, nopk_log, docs_toast`)
    await run(
      path.join(PGBIN, 'pgbench'),
      [
        '-i',
        '-s',
        String(SCALE),
        '-q',
        '-h',
        '127.0.0.1',
        '-p',
        String(source.port),
        '-U',
        'postgres',
        'bench',
      ],
      { maxBuffer: 1 << 26 },
    )
    await source.query(
      EXTRA_TABLES((r) => Math.max(1, Math.round(r * EXTRA))),
      'bench',
    )
    const dbBytes = Number((await source.query(`SELECT pg_database_size('bench') AS b`)).rows[0]?.b)
    log(
      `seeded ${(dbBytes / 1048576).toFixed(0)} MB in ${((Date.now() - seed0) / 1000).toFixed(0)} s`,
    )
    const sourceCounts = await counts(source, 'bench')
    // Settle the source: no autovacuum of the fresh tables during the first measured tool.
    await source.query('VACUUM ANALYZE', 'bench')
    await source.query('CHECKPOINT')
    // Warm the target's WAL: the first tool on a fresh cluster would otherwise create every WAL
    // segment (IO:WALInitWrite) where the next one recycles them.
    await target.query('CREATE DATABASE warm')
    await target.query(
      `CREATE TABLE w AS SELECT g, repeat('x', 1000) AS x FROM generate_series(1, ${Math.round(1500000 * (dbBytes / 1.5e9))}) g`,
      'warm',
    )
    await settle(source, target, 'warm')

    // 1. whole database, pgferry and pgcopydb in turn, the order swapped every round (a tool that
    //    runs first or second on the clusters is neither favoured nor penalised), each on settled
    //    clusters (the previous copy dropped, both checkpointed)
    const ferry: FerryRun[] = []
    const ferryB: FerryRun[] = []
    const pgcopydb: number[] = []
    const perRound: string[] = []
    for (let round = 0; round < ROUNDS; round++) {
      const tools = SPLIT_B === undefined ? ['ferry', 'pgcopydb'] : ['ferry', 'ferryB', 'pgcopydb']
      const order =
        SPLIT_B === undefined
          ? round % 2 === 0
            ? tools
            : [...tools].reverse()
          : [...tools.slice(round % 3), ...tools.slice(0, round % 3)]
      for (const tool of order) {
        if (tool === 'ferry') {
          ferry.push(await ferryRun(source, target, 'ferry', sourceCounts))
          await settle(source, target, 'ferry')
        } else if (tool === 'ferryB') {
          log(`pgferry variant B: splitTablesLargerThan ${SPLIT_B}`)
          ferryB.push(await ferryRun(source, target, 'ferry', sourceCounts, SPLIT_B))
          await settle(source, target, 'ferry')
        } else if (!SKIP_PGCOPYDB) {
          pgcopydb.push(await pgcopydbRun(source, target, 'pgcopydb', sourceCounts))
          await settle(source, target, 'pgcopydb')
        }
      }
      const f = ferry[ferry.length - 1]?.wall ?? Number.NaN
      const p = pgcopydb[pgcopydb.length - 1] ?? Number.NaN
      const b = ferryB[ferryB.length - 1]?.wall
      perRound.push((f / p).toFixed(2))
      log(
        `round ${round + 1} (${order.join(' then ')}): pgferry ${f.toFixed(2)} s, ${b === undefined ? '' : `pgferry B ${b.toFixed(2)} s, `}pgcopydb ${p.toFixed(2)} s`,
      )
    }

    // 2. the floor and pgferry on one table, interleaved (floor, pgferry, pgferry, floor, …)
    const floorAccounts: number[] = []
    const nodeFloorAccounts: number[] = []
    const singles: number[] = []
    for (let i = 0; i < SINGLE_REPEATS; i++) {
      const steps = [
        async () => floorAccounts.push(await floorRun(source, target, 'pgbench_accounts', 'psql')),
        async () =>
          nodeFloorAccounts.push(await floorRun(source, target, 'pgbench_accounts', 'node')),
        async () => singles.push(await singleRun(source, target)),
      ]
      for (const step of i % 2 === 0 ? steps : steps.reverse()) await step()
    }
    const list = (v: number[]): string => v.map((x) => x.toFixed(2)).join(', ')
    log(
      `pgbench_accounts: psql floor ${list(floorAccounts)} s; Node floor ${list(nodeFloorAccounts)} s; pgferry alone ${list(singles)} s`,
    )
    // the other tables' floors, once, for the record
    const floor: Record<string, number> = { pgbench_accounts: median(floorAccounts) }
    for (const t of TABLES)
      if (t !== 'pgbench_accounts') floor[t] = await floorRun(source, target, t)
    const floorTotal = Object.values(floor).reduce((a, b) => a + b, 0)
    log(`floor (serial, per table): ${JSON.stringify(floor)} total ${floorTotal.toFixed(2)} s`)

    const wall = median(ferry.map((r) => r.wall))
    const pgcopydbS = pgcopydb.length === 0 ? Number.NaN : median(pgcopydb)
    const single = median(singles)
    const floorRatio = median(floorAccounts) / single
    const nodeFloorRatio = median(nodeFloorAccounts) / single
    const pick = (f: (r: FerryRun) => number): string => median(ferry.map(f)).toFixed(1)
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join('/')
    const line = [
      'RESULT name=fullload',
      `wall_s=${wall.toFixed(2)}`,
      `pgcopydb_s=${pgcopydbS.toFixed(2)}`,
      `ratio_vs_pgcopydb=${(wall / pgcopydbS).toFixed(2)}`,
      `floor_ratio=${floorRatio.toFixed(2)}`,
      `node_floor_ratio=${nodeFloorRatio.toFixed(2)}`,
      `rss_mb=${Math.max(...ferry.map((r) => r.rssMb)).toFixed(0)}`,
      `rounds=${ROUNDS}`,
      `round_ratios=${perRound.join('/')}`,
      `ferry_walls=${ferry.map((r) => r.wall.toFixed(2)).join('/')}`,
      `pgcopydb_walls=${pgcopydb.map((x) => x.toFixed(2)).join('/')}`,
      `schema_s=${pick((r) => r.schemaS)}`,
      `node_cpu_s=${pick((r) => r.nodeCpuS)}`,
      `node_user_s=${pick((r) => r.nodeUserS)}`,
      `node_sys_s=${pick((r) => r.nodeSysS)}`,
      `ferry_src_cpu_s=${pick((r) => r.srcCpu)}`,
      `ferry_tgt_cpu_s=${pick((r) => r.tgtCpu)}`,
      `single_table_s=${single.toFixed(2)}`,
      `floor_accounts_s=${median(floorAccounts).toFixed(2)}`,
      `node_floor_accounts_s=${median(nodeFloorAccounts).toFixed(2)}`,
      `single_repeats=${SINGLE_REPEATS}`,
      `floor_total_s=${floorTotal.toFixed(2)}`,
      `scale=${SCALE}`,
      `db_mb=${(dbBytes / 1048576).toFixed(0)}`,
      `rows=${ferry[0]?.rows ?? 0}`,
      `parallelism=${PARALLELISM}`,
      `split=${SPLIT ?? 'default'}`,
      ...(SPLIT_B === undefined
        ? []
        : [
            `split_b=${SPLIT_B}`,
            `wall_b_s=${median(ferryB.map((r) => r.wall)).toFixed(2)}`,
            `ferry_b_walls=${ferryB.map((r) => r.wall.toFixed(2)).join('/')}`,
          ]),
      `pg=15`,
      `loadavg=${load}`,
    ].join(' ')
    console.log(line)
    if (process.env.RESULT_FILE !== undefined)
      writeFileSync(process.env.RESULT_FILE, `${line}\n`, { flag: 'a' })
  } finally {
    await Promise.all([source.stop(), target.stop()])
  }
}

await main()
