/**
 * One seed of the torture loop (issue 10): a fresh source database written to without pause, a
 * pgferry child process SIGKILLed at a seeded point of a seeded stage, a second child that resumes
 * the task and completes it, then equality row by row (and sequences) by SQL on each side.
 * Shared by `npm run test:torture` (test/torture/torture.ts) and test/integration/torture.test.ts.
 */
import type { ChildProcess } from 'node:child_process'
import type { ClusterPair, Cluster } from './cluster.js'
import { spawnTs, watchLines, type LineWatcher } from './child.js'
import { seededRandom, type SeededRandom } from './seeded-random.js'
import {
  TORTURE_SEQUENCES,
  TORTURE_TABLES,
  startTortureWriter,
  tortureSchema,
  tortureSizes,
} from './torture-fixture.js'
import { diffSequences, diffTable, type SequenceDiff, type TableDiff } from './row-diff.js'
import type { TortureChildArgs } from './torture-child.js'
import { originName } from '../../src/apply/apply-progress.js'
import { quoteIdent } from '../../src/pg/quote.js'

/**
 * Where a seed kills pgferry. Seeds cycle through the stages in this order (so any 5 consecutive
 * seeds cover all of them, and the 3 seeds of `npm test` cover copy, apply and cutover); the
 * event count and the delay after it are drawn from the seed.
 */
export const KILL_STAGES = ['chunk', 'apply', 'complete', 'structure', 'post-data'] as const
export type KillStage = (typeof KILL_STAGES)[number]

export interface KillPlan {
  readonly stage: KillStage
  /** Kill after this many of the stage's events (or at the stage's end, if it has fewer). */
  readonly nth: number
  /** Then after this many milliseconds: a kill inside the next step, not only between steps. */
  readonly delayMs: number
}

/**
 * The kills of one seed: the stage's, then, after a kill in the load, in half of the seeds a second
 * one in the resumed run: mid-apply (a load resumed under a new snapshot, then a killed sync, lost
 * rows in acceptance runs) or mid-copy again (a resumed load that stops again re-applied rows):
 * issue 10 item 3.
 */
export function killPlans(seed: number, rnd: SeededRandom): KillPlan[] {
  const first = killPlan(seed, rnd)
  if (first.stage === 'apply' || first.stage === 'complete' || !rnd.chance(0.5)) return [first]
  const stage = rnd.pick(['apply', 'chunk'] as const)
  return [first, { stage, nth: rnd.int(1, 8), delayMs: rnd.int(0, 300) }]
}

export function killPlan(seed: number, rnd: SeededRandom): KillPlan {
  const stage = KILL_STAGES[(((seed - 1) % KILL_STAGES.length) + KILL_STAGES.length) % 5]!
  switch (stage) {
    case 'structure':
      return { stage, nth: rnd.int(1, 10), delayMs: rnd.int(0, 150) }
    case 'chunk':
      return { stage, nth: rnd.int(1, 8), delayMs: rnd.int(0, 300) }
    case 'post-data':
      return { stage, nth: rnd.int(1, 6), delayMs: rnd.int(0, 200) }
    case 'apply':
      return { stage, nth: rnd.int(1, 15), delayMs: rnd.int(0, 300) }
    case 'complete':
      return { stage, nth: 1, delayMs: rnd.int(0, 1500) }
  }
}

/** Lines of the child that count toward the kill, and the line that ends the stage early. */
const EVENTS: Readonly<Record<KillStage, { event: RegExp; end: RegExp | null }>> = {
  structure: { event: /^EV schema:object pre-data /, end: /^EV stage:done schema/ },
  // post-data steps of a copied table run beside the next tables' chunks
  chunk: { event: /^EV chunk /, end: /^EV stage:done fullload/ },
  'post-data': { event: /^EV schema:object post-data /, end: /^EV stage:done fullload/ },
  apply: { event: /^EV apply:batch /, end: null },
  complete: { event: /^EV stage:start complete/, end: null },
}

export interface SeedOptions {
  /** Row counts relative to the default sizes. Defaults to 1. */
  readonly scale?: number
  /**
   * Whether the writer runs a rare TRUNCATE (of a table, a partitioned root, a leaf). Turning it
   * off shows what else fails while a TRUNCATE bug is open. Defaults to true.
   */
  readonly truncate?: boolean
  /** Bound of each wait on the child or the writer. Defaults to 240 000 ms. */
  readonly waitMs?: number
  /** Progress lines (what the seed is doing), for a long run. */
  readonly log?: (line: string) => void
  /** Every line the children print, for a replayed seed (`SEED=k VERBOSE=2`). */
  readonly echo?: (line: string) => void
}

export interface SeedResult {
  readonly seed: number
  readonly stage: KillStage
  readonly killAt: string
  readonly lost: number
  readonly doubled: number
  readonly changed: number
  readonly sequences: readonly SequenceDiff[]
  readonly tables: readonly TableDiff[]
  /** What stopped the seed from ending in a completed task with nothing left on the source. */
  readonly error: string | undefined
  readonly truncates: readonly string[]
  readonly writerSteps: number
}

export const seedPassed = (r: SeedResult): boolean =>
  r.error === undefined &&
  r.lost === 0 &&
  r.doubled === 0 &&
  r.changed === 0 &&
  r.sequences.length === 0

/** `seed=K stage=X killAt=… result=…`, then one indented line per difference. */
export function formatSeed(r: SeedResult): string {
  const parts: string[] = []
  if (r.lost > 0) parts.push(`LOST ${r.lost}`)
  if (r.doubled > 0) parts.push(`DOUBLED ${r.doubled}`)
  if (r.changed > 0) parts.push(`CHANGED ${r.changed}`)
  if (r.sequences.length > 0) parts.push(`SEQUENCES ${r.sequences.length}`)
  if (r.error !== undefined) parts.push(`ERROR ${r.error}`)
  const result = parts.length === 0 ? 'equal' : parts.join(' ')
  const lines = [
    `seed=${r.seed} stage=${r.stage} killAt=${r.killAt} writes=${r.writerSteps}` +
      `${r.truncates.length > 0 ? ` truncates=${r.truncates.join(',')}` : ''} result=${result}`,
  ]
  for (const t of r.tables)
    lines.push(
      `  ${t.table}: lost ${t.lost}, doubled ${t.doubled}, changed ${t.changed}: ${t.examples.join(' ; ')}`,
    )
  for (const s of r.sequences)
    lines.push(`  sequence ${s.sequence}: source ${s.source}, target ${s.target}`)
  return lines.join('\n')
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Run one seed on `pair` (a fresh database pair); never throws for what it finds. */
export async function runSeed(
  pair: ClusterPair,
  seed: number,
  options: SeedOptions = {},
): Promise<SeedResult> {
  const waitMs = options.waitMs ?? 240_000
  const log = options.log ?? ((): void => undefined)
  const rnd = seededRandom(seed)
  const kills = killPlans(seed, rnd)
  const plan = kills[0] as KillPlan
  const sizes = tortureSizes(rnd, options.scale ?? 1)
  const sdb = await pair.source.createDatabase(`torture_${seed}`)
  const tdb = `${sdb}_t`
  const id = `torture-${sdb.replace(/_/g, '-')}`
  await pair.source.query(tortureSchema(sizes), [], sdb)
  const childArgs = (mode: TortureChildArgs['mode']): string =>
    JSON.stringify({
      mode,
      id,
      sourceUrl: pair.source.url(sdb),
      targetUrl: pair.target.url('postgres'),
      sdb,
      tdb,
      // several chunks per large table, copied slowly enough to be killed mid-copy
      splitTablesLargerThan: 400_000,
      bytesPerSecond: 1_500_000,
    } satisfies TortureChildArgs)

  const writerClient = await pair.source.client(sdb)
  const writer = startTortureWriter(writerClient, seededRandom(seed * 7919 + 17), sizes, {
    truncate: options.truncate ?? true,
  })
  let writerStopped = false
  const stopWriter = async (): Promise<void> => {
    if (writerStopped) return
    writerStopped = true
    await writer.stop()
  }
  const children: ChildProcess[] = []
  const killedAt: string[] = []
  let error: string | undefined
  let drained = false
  const spawnChild = (
    mode: TortureChildArgs['mode'],
  ): { child: ChildProcess; lines: LineWatcher } => {
    const child = spawnTs('test/harness/torture-child.ts', [childArgs(mode)])
    children.push(child)
    if (options.echo) echoLines(child, `run ${children.length}`, options.echo)
    return { child, lines: watchLines(child) }
  }
  try {
    for (const [i, k] of kills.entries()) {
      const { child, lines } = spawnChild(i === 0 ? 'create' : 'resume')
      const kill = await killChild(child, lines, k, waitMs, stopWriter, log)
      // the writer's step at the kill: which of its transactions came before, for a diagnosis
      killedAt.push(`${kill.at}@w${writer.steps()}`)
      if (!kill.completed) log(`after the kill: ${await positions(pair, sdb, id)}`)
      if (kill.completed) {
        drained = true
        break
      }
      // the source keeps changing while no pgferry process runs
      if (!writerStopped) await writer.waitFor(writer.steps() + 10, waitMs)
    }
    if (!drained) {
      log(`seed ${seed}: resuming to the end`)
      const { child, lines } = spawnChild('resume')
      await lines.until((l) => l === 'SYNCING', waitMs)
      log(`seed ${seed}: syncing again at writer step ${writer.steps()}`)
      if (!writerStopped) {
        // caught up with a source that is still written to, then quiet for the cutover
        let batches = 0
        await lines.until((l) => /^EV apply:batch /.test(l) && ++batches >= 3, waitMs)
        await writer.waitFor(writer.steps() + 20, waitMs)
        await stopWriter()
      }
      child.kill('SIGUSR2')
      const end = await lines.until((l) => /^(COMPLETED|FAILED|SYNCFAILED) /.test(l), waitMs)
      if (!end.startsWith('COMPLETED')) error = `resumed run: ${end}`
      drained = end.startsWith('COMPLETED') || /PGFERRY_VERIFY_MISMATCH/.test(end)
    }
  } catch (e) {
    error = e instanceof Error ? e.message : String(e)
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    await stopWriter().catch((e: unknown) => {
      error ??= e instanceof Error ? e.message : String(e)
    })
    await writerClient.end().catch(() => undefined)
  }

  const tables: TableDiff[] = []
  let sequences: SequenceDiff[] = []
  if (drained) {
    try {
      for (const t of TORTURE_TABLES) {
        const d = await diffTable(pair.source, sdb, pair.target, tdb, t)
        if (d !== undefined) tables.push(d)
      }
      sequences = await diffSequences(pair.source, sdb, pair.target, tdb, TORTURE_SEQUENCES)
      if (error === undefined) error = await leftovers(pair, sdb, tdb, id)
    } catch (e) {
      error ??= `comparing: ${e instanceof Error ? e.message : String(e)}`
    }
  }
  // counted from the root and the non-partitioned tables only: a leaf's rows are also the root's
  const counted = tables.filter((t) => !/^events_/.test(t.table))
  const result: SeedResult = {
    seed,
    stage: plan.stage,
    killAt: killedAt.length === 0 ? 'not reached' : killedAt.join(','),
    lost: counted.reduce((a, t) => a + t.lost, 0),
    doubled: counted.reduce((a, t) => a + t.doubled, 0),
    changed: counted.reduce((a, t) => a + t.changed, 0),
    sequences,
    tables,
    error,
    truncates: writer.truncates(),
    writerSteps: writer.steps(),
  }
  await dropSeed(pair, sdb, tdb, id).catch((e: unknown) =>
    log(`seed ${seed}: cleanup failed: ${e instanceof Error ? e.message : String(e)}`),
  )
  return result
}

/**
 * Run a child to the plan's point and SIGKILL it there. For `complete`, the writer is stopped and
 * the cutover started first. Returns where it was killed, or that it completed first.
 */
async function killChild(
  child: ChildProcess,
  lines: LineWatcher,
  plan: KillPlan,
  waitMs: number,
  stopWriter: () => Promise<void>,
  log: (line: string) => void,
): Promise<{ at: string; completed: boolean }> {
  const { event, end } = EVENTS[plan.stage]
  let count = 0
  let at: string
  if (plan.stage === 'complete') {
    await lines.until((l) => l === 'SYNCING', waitMs)
    let batches = 0
    await lines.until((l) => /^EV apply:batch /.test(l) && ++batches >= 2, waitMs)
    await stopWriter()
    child.kill('SIGUSR2')
    await lines.until((l) => event.test(l), waitMs)
    at = 'complete'
  } else {
    const line = await lines.until((l) => {
      if (event.test(l)) return ++count >= plan.nth
      return end !== null && end.test(l)
    }, waitMs)
    at = event.test(line) ? `${plan.stage}#${count}` : `end-of-${plan.stage}(${count})`
  }
  await delay(plan.delayMs)
  at += `+${plan.delayMs}ms`
  if (lines.lines.some((l) => l.startsWith('COMPLETED '))) {
    return { at: `${at}(completed first)`, completed: true }
  }
  const failed = lines.lines.find((l) => /^(FAILED|SYNCFAILED) /.test(l))
  if (failed !== undefined) throw new Error(`before the kill at ${at}: ${failed}`)
  const exited = new Promise<void>((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r()
    else child.once('exit', () => r())
  })
  child.kill('SIGKILL')
  await exited
  log(`killed at ${at}; last line: ${lines.lines.at(-1) ?? ''}`)
  return { at, completed: false }
}

function echoLines(child: ChildProcess, name: string, echo: (line: string) => void): void {
  const w = watchLines(child)
  void w.until((l) => (echo(`${name}: ${l}`), false), 3_600_000).catch(() => undefined)
}

/** After a completed task, nothing of it may stay on the source (nor its origin on the target). */
async function leftovers(
  pair: ClusterPair,
  sdb: string,
  tdb: string,
  id: string,
): Promise<string | undefined> {
  const slots = await pair.source.query<{ slot_name: string }>(
    `SELECT slot_name FROM pg_replication_slots WHERE database = $1`,
    [sdb],
  )
  const pubs = await pair.source.query<{ pubname: string }>(
    `SELECT pubname FROM pg_publication`,
    [],
    sdb,
  )
  const origins = await pair.target.query<{ roname: string }>(
    `SELECT roname FROM pg_replication_origin WHERE roname = $1`,
    [originName(id, sdb)],
    tdb,
  )
  const left = [
    ...slots.rows.map((r) => `slot ${r.slot_name}`),
    ...pubs.rows.map((r) => `publication ${r.pubname}`),
    ...origins.rows.map((r) => `origin ${r.roname}`),
  ]
  return left.length === 0 ? undefined : `left after complete: ${left.join(', ')}`
}

/** The slot's confirmed position beside the apply progress on the target, for a diagnosis. */
async function positions(pair: ClusterPair, sdb: string, id: string): Promise<string> {
  const slot = await pair.source.query<{ c: string | null; r: string | null }>(
    `SELECT confirmed_flush_lsn::text AS c, restart_lsn::text AS r FROM pg_replication_slots WHERE database = $1`,
    [sdb],
  )
  const origin = await pair.target.query<{ p: string | null }>(
    `SELECT remote_lsn::text AS p FROM pg_replication_origin_status s JOIN pg_replication_origin o ON o.roident = s.local_id WHERE o.roname = $1`,
    [originName(id, sdb)],
  )
  const cur = await pair.source.query<{ l: string }>(`SELECT pg_current_wal_lsn()::text AS l`)
  return `slot confirmed ${slot.rows[0]?.c ?? '-'} (restart ${slot.rows[0]?.r ?? '-'}), target progress ${origin.rows[0]?.p ?? '-'}, source at ${cur.rows[0]?.l ?? '-'}`
}

/**
 * Drop what a seed left, done or not: its slots (WAL retained), its replication origin (each takes
 * one of the target's max_replication_slots origin states) and its databases (disk).
 */
async function dropSeed(pair: ClusterPair, sdb: string, tdb: string, id: string): Promise<void> {
  await pair.source.query(
    `SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = $1 AND active_pid IS NOT NULL`,
    [sdb],
  )
  for (let i = 0; ; i++) {
    try {
      await pair.source.query(
        `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1`,
        [sdb],
      )
      break
    } catch (e) {
      // the walsender may take a moment to exit after its backend was terminated
      if (i >= 50) throw e
      await delay(100)
    }
  }
  await pair.target.query(
    `SELECT pg_replication_origin_drop(roname) FROM pg_replication_origin WHERE roname = $1`,
    [originName(id, sdb)],
  )
  await dropDatabase(pair.source, sdb)
  await dropDatabase(pair.target, tdb)
}

async function dropDatabase(cluster: Cluster, db: string): Promise<void> {
  await cluster.query(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
    [db],
  )
  const force = cluster.major >= 13 ? ' WITH (FORCE)' : ''
  await cluster.query(`DROP DATABASE IF EXISTS ${quoteIdent(db)}${force}`)
}
