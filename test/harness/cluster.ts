/**
 * Throwaway PostgreSQL clusters from the npm-shipped binaries. Used by the tests, the
 * demo and the benchmarks. A cluster runs as `nobody` when we are root (PostgreSQL refuses root),
 * dies with this process (`setpriv --pdeathsig`), listens on a free loopback port, and its data
 * directory is removed on stop; directories of dead owners are swept by `sweepStaleClusters`.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process'
import {
  existsSync,
  readFileSync,
  symlinkSync,
  lstatSync,
  readdirSync,
  statSync,
  renameSync,
  rmSync,
  mkdirSync,
  chownSync,
  chmodSync,
  writeFileSync,
} from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import path from 'node:path'
import { promisify } from 'node:util'
import { createHash } from 'node:crypto'
import pg from 'pg'
import { asUser, isRoot, reachableBinDir, RUN_AS, sharedTmpDir } from './reachable-binaries.js'

const run = promisify(execFile)

/** Majors installed as `pg-bin-<major>` aliases (package.json optionalDependencies). */
export const MAJORS = [12, 13, 14, 15, 16, 17, 18] as const
export type Major = (typeof MAJORS)[number]

/**
 * Where cluster data directories live: a temp directory the servers' user can traverse, one per
 * user running the tests (another user's folder there is not writable).
 */
export const clusterRoot = (): string =>
  path.join(sharedTmpDir(), `pgferry-clusters-${process.getuid?.() ?? 0}`)

export interface ClusterOptions {
  /** A major installed as `pg-bin-<major>`; with `bin`, any major (a label then). */
  readonly major: number
  /**
   * Directory holding `initdb` and `postgres` (e.g. Debian's /usr/lib/postgresql/15/bin, which the
   * pgcopydb comparison needs). Defaults to the `pg-bin-<major>` package's binaries.
   */
  readonly bin?: string
  /** Extra `-c name=value` server settings; they override the defaults below. */
  readonly settings?: Readonly<Record<string, string | number>>
  /** Port to try first. Defaults to a random port in 20000–39999. */
  readonly port?: number
}

export interface Cluster {
  readonly major: number
  readonly host: string
  readonly port: number
  readonly dataDir: string
  /** The postmaster's process id (a new one after `restart`). */
  readonly pid: number
  /** `pg` client config for the superuser `postgres` (trust auth). */
  config(database?: string): pg.ClientConfig
  url(database?: string): string
  /** Run SQL on `database` (default `postgres`) with a fresh client. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    sql: string,
    params?: unknown[],
    database?: string,
  ): Promise<pg.QueryResult<R>>
  /** A connected client; the caller ends it. */
  client(database?: string): Promise<pg.Client>
  /** Create a fresh database with a unique name derived from `prefix`; returns its name. */
  createDatabase(prefix?: string): Promise<string>
  /**
   * Stop the server and start it again on the same data directory and port. `immediate`: stop it
   * as `pg_ctl stop -m immediate` does (SIGQUIT), i.e. a crash followed by recovery.
   */
  restart(options?: { immediate?: boolean }): Promise<void>
  /** Stop the server and remove its data directory. Idempotent. */
  stop(): Promise<void>
  /** Whether the server process is still running. */
  readonly running: boolean
}

/**
 * Directory of the binaries of a major; recreates the library symlinks if `--ignore-scripts` skipped
 * them, and uses a cached copy when the servers' user cannot reach the checkout (reachable-binaries.ts).
 */
export function binDir(major: Major): string {
  const root = findPackage(`pg-bin-${major}`)
  if (root === undefined) {
    throw new Error(
      `PostgreSQL ${major} binaries are not installed (npm alias pg-bin-${major}); run npm ci on linux-x64`,
    )
  }
  const links = path.join(root, 'native', 'pg-symlinks.json')
  if (existsSync(links)) {
    for (const { source, target } of JSON.parse(readFileSync(links, 'utf8')) as {
      source: string
      target: string
    }[]) {
      const t = path.join(root, target)
      try {
        lstatSync(t)
      } catch {
        symlinkSync(path.basename(source), t)
      }
    }
  }
  return reachableBinDir(root)
}

/** The package's folder, looked up through node_modules like Node does (its exports map hides package.json). */
function findPackage(name: string): string | undefined {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name)
    if (existsSync(path.join(candidate, 'native'))) return candidate
    if (path.dirname(dir) === dir) return undefined
  }
}

/** Remove cluster directories whose owning process is gone (a test run killed with SIGKILL). */
export function sweepStaleClusters(): void {
  const root = clusterRoot()
  if (!existsSync(root)) return
  for (const name of readdirSync(root)) {
    const dir = path.join(root, name)
    let owner = NaN
    try {
      owner = Number(readFileSync(path.join(dir, 'owner.pid'), 'utf8'))
    } catch {
      // No owner file: half-created. Another process (other test runs share this directory) may be
      // between its mkdtemp and its owner-file write right now, so only an old one is stale.
      if (recentlyCreated(dir)) continue
    }
    if (Number.isInteger(owner) && owner > 0 && alive(owner)) continue
    const pidFile = path.join(dir, 'data', 'postmaster.pid')
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0])
      if (pid > 0 && alive(pid)) {
        try {
          process.kill(pid, 'SIGQUIT')
        } catch {
          /* gone */
        }
      }
    }
    rmSync(dir, { recursive: true, force: true })
  }
  // initdb templates half-made by a killed run (complete ones have no `.new-` in their name)
  const templatesDir = templateRoot()
  if (!existsSync(templatesDir)) return
  for (const name of readdirSync(templatesDir)) {
    const dir = path.join(templatesDir, name)
    if (name.includes('.new-') && !recentlyCreated(dir))
      rmSync(dir, { recursive: true, force: true })
  }
}

/** Made in the last ten minutes: a generous bound for the few statements from mkdtemp to owner file. */
function recentlyCreated(dir: string): boolean {
  try {
    return Date.now() - statSync(dir).mtimeMs < 600_000
  } catch {
    return true // already gone
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

let dbCounter = 0

/** Arguments of the one initdb a template is made with; part of the template's cache key. */
const INITDB_ARGS = ['-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']
const templates = new Map<string, Promise<string>>()

/**
 * A freshly initdb'd data directory for `bin`, made once and copied by every cluster start. Cached
 * in the shared temp directory, keyed by the binaries (path, size and mtime of `postgres`) and the
 * initdb arguments, so test workers and later runs reuse it; it is complete when it has its name
 * (made under a staging name and renamed in). The copies share a system identifier, which nothing
 * in pgferry or its tests reads.
 */
function initdbTemplate(bin: string, major: number): Promise<string> {
  const st = statSync(path.join(bin, 'postgres'))
  const key = createHash('sha256')
    .update([bin, st.size, st.mtimeMs, ...INITDB_ARGS].join('\0'))
    .digest('hex')
    .slice(0, 16)
  const dir = path.join(templateRoot(), `pg${major}-${key}`)
  let made = templates.get(dir)
  if (made === undefined) {
    made = existsSync(path.join(dir, 'PG_VERSION'))
      ? Promise.resolve(dir)
      : makeTemplate(bin, major, dir)
    templates.set(dir, made)
    made.catch(() => templates.delete(dir))
  }
  return made
}

const templateRoot = (): string =>
  path.join(sharedTmpDir(), `pgferry-initdb-${process.getuid?.() ?? 0}`)

async function makeTemplate(bin: string, major: number, dir: string): Promise<string> {
  mkdirSync(templateRoot(), { recursive: true, mode: 0o755 })
  chmodSync(templateRoot(), 0o755)
  const staging = await mkdtemp(`${dir}.new-`)
  chmodSync(staging, 0o700)
  if (isRoot()) chownSync(staging, RUN_AS.uid, RUN_AS.gid)
  const [initCmd, initArgs] = asUser(path.join(bin, 'initdb'), ['-D', staging, ...INITDB_ARGS])
  try {
    await run(initCmd, initArgs, { env: { ...process.env, LC_ALL: 'C' } })
  } catch (e) {
    rmSync(staging, { recursive: true, force: true })
    const stderr = (e as { stderr?: string }).stderr ?? String(e)
    const cause = /error while loading shared libraries/.test(stderr)
      ? ` (the servers' user${isRoot() ? ` uid ${RUN_AS.uid}` : ''} cannot read the libraries beside ${bin}; ` +
        'make every parent directory of that path traversable by it, or remove the copy in the temp directory and run again)'
      : ''
    throw new Error(`initdb ${major} failed${cause}: ${stderr}`)
  }
  try {
    renameSync(staging, dir)
  } catch (e) {
    // another test worker renamed its template in first: use that one
    rmSync(staging, { recursive: true, force: true })
    if (!existsSync(path.join(dir, 'PG_VERSION'))) throw e
  }
  return dir
}

/** Start a cluster from a copy of the initdb template. About 1 s. */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const bin = options.bin ?? binDir(options.major as Major)
  const root = clusterRoot()
  mkdirSync(root, { recursive: true, mode: 0o755 })
  // Made beside the root and renamed in with its owner file: a sweep by another test run (even one
  // of an older checkout, which removes ownerless directories at once) never sees it half-made.
  const staging = await mkdtemp(path.join(sharedTmpDir(), `pgferry-new-pg${options.major}-`))
  chmodSync(staging, 0o755)
  writeFileSync(path.join(staging, 'owner.pid'), String(process.pid))
  const base = path.join(root, path.basename(staging).replace(/^pgferry-new-/, ''))
  renameSync(staging, base)
  const dataDir = path.join(base, 'data')
  try {
    // a copy of one initdb per major and run user: initdb costs ~1.2 CPU-s, the copy ~0.2 s
    await run('cp', ['-a', await initdbTemplate(bin, options.major), dataDir])
  } catch (e) {
    rmSync(base, { recursive: true, force: true })
    throw e
  }
  const settings: Record<string, string | number> = {
    wal_level: 'logical',
    max_replication_slots: 20,
    max_wal_senders: 20,
    fsync: 'off',
    full_page_writes: 'off',
    listen_addresses: '127.0.0.1',
    unix_socket_directories: dataDir,
    max_connections: 100,
    shared_buffers: '64MB',
    logging_collector: 'off',
    log_min_messages: 'warning',
    ...options.settings,
  }
  let lastError: unknown
  for (let attempt = 0; attempt < 8; attempt++) {
    const port =
      attempt === 0 && options.port !== undefined
        ? options.port
        : 20000 + Math.floor(Math.random() * 20000)
    const spawnAgain = (): Promise<ChildProcess> => spawnServer(bin, dataDir, port, settings)
    try {
      const proc = await spawnAgain()
      return makeCluster(options.major, port, base, dataDir, proc, spawnAgain)
    } catch (e) {
      lastError = e
      if (!/already in use|could not bind|could not create any TCP/i.test(String(e))) break
    }
  }
  rmSync(base, { recursive: true, force: true })
  throw lastError instanceof Error ? lastError : new Error(String(lastError))
}

/** Run `postgres` on `dataDir` and `port`; resolves once it accepts connections. */
async function spawnServer(
  bin: string,
  dataDir: string,
  port: number,
  settings: Readonly<Record<string, string | number>>,
): Promise<ChildProcess> {
  const args = ['-D', dataDir, '-p', String(port)]
  for (const [k, v] of Object.entries(settings)) args.push('-c', `${k}=${v}`)
  const [cmd, cmdArgs] = asUser(path.join(bin, 'postgres'), args)
  const proc = spawn(cmd, cmdArgs, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, LC_ALL: 'C' },
  })
  let stderr = ''
  proc.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < 20_000) stderr += d.toString()
  })
  try {
    await waitReady(proc, dataDir, () => stderr)
  } catch (e) {
    proc.kill('SIGKILL')
    throw e
  }
  proc.unref()
  ;(proc.stderr as unknown as { unref?: () => void } | null)?.unref?.()
  return proc
}

async function waitReady(proc: ChildProcess, dataDir: string, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 30_000
  const pidFile = path.join(dataDir, 'postmaster.pid')
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null)
      throw new Error(`postgres exited: ${stderr()}`)
    try {
      const lines = readFileSync(pidFile, 'utf8').split('\n')
      if (lines[7]?.trim() === 'ready') return
    } catch {
      /* not yet written */
    }
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`postgres did not become ready in 30 s: ${stderr()}`)
}

/** Signal the postmaster and wait for it to exit (SIGKILL after 10 s). */
async function shutdown(proc: ChildProcess, signal: 'SIGINT' | 'SIGQUIT'): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return
  proc.ref()
  const exited = new Promise<void>((r) => proc.once('exit', () => r()))
  // the setpriv wrapper exec'd postgres, so proc.pid is the postmaster
  proc.kill(signal)
  const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}

function makeCluster(
  major: number,
  port: number,
  base: string,
  dataDir: string,
  first: ChildProcess,
  spawnAgain: () => Promise<ChildProcess>,
): Cluster {
  let proc = first
  const host = '127.0.0.1'
  let stopped: Promise<void> | undefined
  const config = (database = 'postgres'): pg.ClientConfig => ({
    host,
    port,
    user: 'postgres',
    database,
  })
  const cluster: Cluster = {
    major,
    host,
    port,
    dataDir,
    get pid() {
      return proc.pid as number
    },
    config,
    url: (database = 'postgres') =>
      `postgres://postgres@${host}:${port}/${encodeURIComponent(database)}`,
    async client(database) {
      const c = new pg.Client(config(database))
      c.on('error', () => undefined)
      await c.connect()
      return c
    },
    async query(sql, params, database) {
      const c = await cluster.client(database)
      try {
        return await c.query(sql, params)
      } finally {
        await c.end()
      }
    },
    async createDatabase(prefix = 'db') {
      const name = `${prefix}_${process.pid}_${++dbCounter}`
        .toLowerCase()
        .replace(/[^a-z0-9_]/g, '_')
      await cluster.query(`CREATE DATABASE "${name}"`)
      return name
    },
    get running() {
      return proc.exitCode === null && proc.signalCode === null
    },
    async restart(options = {}) {
      // SIGQUIT = immediate shutdown (a crash: WAL not yet written is lost), SIGINT = fast
      await shutdown(proc, options.immediate === true ? 'SIGQUIT' : 'SIGINT')
      // the dead postmaster's pid file would read 'ready' before the new one is
      rmSync(path.join(dataDir, 'postmaster.pid'), { force: true })
      proc = await spawnAgain()
    },
    stop() {
      stopped ??= (async () => {
        await shutdown(proc, 'SIGINT')
        rmSync(base, { recursive: true, force: true })
      })()
      return stopped
    },
  }
  return cluster
}

/** Source and target clusters for one test file. */
export interface ClusterPair {
  readonly source: Cluster
  readonly target: Cluster
  stop(): Promise<void>
}

/** Start a source/target pair in parallel. */
export async function startPair(
  sourceMajor: Major,
  targetMajor: Major,
  settings?: ClusterOptions['settings'],
): Promise<ClusterPair> {
  const [source, target] = await Promise.all([
    startCluster({ major: sourceMajor, ...(settings ? { settings } : {}) }),
    startCluster({ major: targetMajor, ...(settings ? { settings } : {}) }),
  ])
  return {
    source,
    target,
    stop: async () => {
      await Promise.all([source.stop(), target.stop()])
    },
  }
}

/** The pairs the default test run covers: oldest → newest, and same-version. */
export const DEFAULT_PAIRS: readonly (readonly [Major, Major])[] = [
  [12, 17],
  [16, 16],
]

/**
 * Every pair `npm run test:matrix` covers (PGFERRY_MATRIX=full): each installed source major into
 * each target major at or above it (pgferry migrates to the same or a newer major only).
 */
export const FULL_PAIRS: readonly (readonly [Major, Major])[] = MAJORS.flatMap((s) =>
  MAJORS.filter((t) => t >= s).map((t) => [s, t] as const),
)

/** The source/target pairs a cross-version test should run: the default two, or the full matrix. */
export function testPairs(): readonly (readonly [Major, Major])[] {
  return process.env.PGFERRY_MATRIX === 'full' ? FULL_PAIRS : DEFAULT_PAIRS
}
