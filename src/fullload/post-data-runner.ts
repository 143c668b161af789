/**
 * Post-data objects (indexes, PK/unique via `CREATE UNIQUE INDEX` + `ADD CONSTRAINT … USING
 * INDEX`, foreign keys `NOT VALID` + `VALIDATE`, triggers, matview refreshes) as the structure
 * stage planned them (schema/ddl-step.ts), each run as soon as the data of all its relations has
 * landed and the steps it depends on are done, in parallel under their own limit (index jobs run
 * beside table jobs, as pgcopydb does). A copied table is ANALYZEd once its steps are done (VACUUM
 * (ANALYZE) on a target before v13, see `PostDataInput.vacuum`).
 *
 * A transactional step is marked done in the target database in its own transaction
 * (`postdata_done` of the target ledger) and then in the store (`POST_DATA_DONE_KIND`); a resume skips both.
 */
import type pg from 'pg'
import pLimit from 'p-limit'
import { PgferryError } from '../errors.js'
import { POST_DATA_DONE_KIND, type DdlStep } from '../schema/ddl-step.js'
import type { StageContext } from '../model/stage.js'
import { quoteIdent } from '../pg/quote.js'
import { preparePostDataSession, runPostDataStep } from './post-data-step.js'

import { postDataDoneKey } from '../model/progress-kinds.js'

export { parsePostDataDoneKey, postDataDoneKey } from '../model/progress-kinds.js'

/** What the runner needs to know about the load. */
export interface PostDataInput {
  readonly targetDb: string
  readonly steps: readonly DdlStep[]
  /** Keys done in an earlier run (store ∪ target table). */
  readonly done: ReadonlySet<string>
  /** For each relation oid a step may name: the copy units whose data it needs. */
  readonly unitsOf: ReadonlyMap<number, readonly number[]>
  /** Copy units already landed. */
  readonly landed: ReadonlySet<number>
  /** Copied tables to ANALYZE after their steps: unit oid → qualified target name. */
  readonly analyze: ReadonlyMap<number, string>
  /**
   * `VACUUM (ANALYZE)` instead of `ANALYZE`. Before v13 autovacuum never vacuums an insert-only
   * table (no insert threshold), so a freshly loaded table would keep an empty visibility map
   * (index-only scans read the heap) until an anti-wraparound vacuum; v12 COPY FREEZE does not set
   * the map either. From v13 on autovacuum's insert threshold does this after the load.
   */
  readonly vacuum: boolean
  readonly parallelism: number
  /**
   * `search_path` to run the steps under ('' = the server's default): the structure stage deparses
   * definitions under one naming the renamed schemas and replays them under their new names.
   */
  readonly searchPath: string
  /**
   * Run a step elsewhere (a worker, through the job queue) and resolve once it committed there;
   * the runner still orders the steps and records them. Defaults to running it on a pooled session.
   */
  readonly execute?: (step: DdlStep, copying: boolean) => Promise<void>
  /** Called after each step this run finishes (the load's progress counts them). */
  readonly onStepDone?: () => void
}

/**
 * The structure stage's session rule (schema-stage.ts): when schemas are renamed, definitions are
 * replayed under a search_path naming the new names, then pg_catalog; otherwise the default.
 */
export function postDataSearchPath(
  schemas: readonly { readonly name: string; readonly as: string }[] | undefined,
): string {
  const renamed = (schemas ?? []).filter((s) => s.as !== s.name)
  return renamed.length === 0
    ? ''
    : [...renamed.map((s) => quoteIdent(s.as)), 'pg_catalog'].join(', ')
}

/** Runs post-data steps as their data lands. */
export class PostDataRunner {
  readonly #ctx: StageContext
  readonly #in: PostDataInput
  readonly #landed: Set<number>
  readonly #done: Set<string>
  readonly #started = new Set<string>()
  readonly #analyzed = new Set<number>()
  readonly #limit: ReturnType<typeof pLimit>
  readonly #running = new Set<Promise<void>>()
  readonly #free: pg.Client[] = []
  #error: unknown
  #copying = true
  /** Steps run (not skipped) in this run. */
  stepsRun = 0

  constructor(ctx: StageContext, input: PostDataInput) {
    this.#ctx = ctx
    this.#in = input
    this.#landed = new Set(input.landed)
    this.#done = new Set(input.done)
    this.#limit = pLimit(Math.max(1, input.parallelism))
    this.#schedule()
  }

  /** A copy unit's data has landed. */
  landed(unitOid: number): void {
    this.#landed.add(unitOid)
    this.#schedule()
  }

  /**
   * Every COPY lane is done: from now on index builds may use parallel maintenance workers. While
   * the lanes run they already keep `parallelism` backends busy, and workers would only
   * oversubscribe the cores.
   */
  copyFinished(): void {
    this.#copying = false
  }

  /** Wait for every step; rejects with the first failure. */
  async finish(): Promise<void> {
    while (this.#running.size > 0) {
      await Promise.allSettled([...this.#running])
    }
    if (this.#error !== undefined) throw this.#error
    const left = this.#in.steps.filter((s) => !this.#done.has(s.key)).map((s) => s.name)
    if (left.length > 0) {
      throw new PgferryError(
        'PGFERRY_SCHEMA_CREATE_FAILED',
        `post-data steps could not run (their data or dependencies never completed): ${left.slice(0, 10).join(', ')}`,
        { side: 'internal' },
      )
    }
  }

  #dataReady(step: DdlStep): boolean {
    for (const rel of step.relations) {
      for (const u of this.#in.unitsOf.get(rel) ?? []) if (!this.#landed.has(u)) return false
    }
    return true
  }

  #schedule(): void {
    if (this.#error !== undefined) return
    for (const step of this.#in.steps) {
      if (this.#done.has(step.key) || this.#started.has(step.key)) continue
      if (!step.dependsOn.every((d) => this.#done.has(d))) continue
      if (!this.#dataReady(step)) continue
      this.#started.add(step.key)
      this.#track(() => this.#run(step))
    }
    for (const [oid, name] of this.#in.analyze) {
      if (this.#analyzed.has(oid) || !this.#landed.has(oid)) continue
      const pending = this.#in.steps.some(
        (s) => !this.#done.has(s.key) && s.relations.some((r) => this.#covers(r, oid)),
      )
      if (pending) continue
      this.#analyzed.add(oid)
      this.#track(() => this.#analyze(name))
    }
  }

  #covers(rel: number, unit: number): boolean {
    return (this.#in.unitsOf.get(rel) ?? []).includes(unit)
  }

  #track(job: () => Promise<void>): void {
    const p: Promise<void> = this.#limit(async () => {
      if (this.#error !== undefined) return
      this.#ctx.signal.throwIfAborted()
      await job()
    })
      .catch((error: unknown) => {
        this.#error ??= error
      })
      .finally(() => {
        this.#running.delete(p)
        this.#schedule()
      })
    this.#running.add(p)
  }

  /** A pooled session set up as the structure stage sets up its own (see `searchPath`). */
  async #connect(): Promise<pg.Client> {
    const free = this.#free.pop()
    if (free !== undefined) return free
    const client = await this.#ctx.connect('target', { database: this.#in.targetDb })
    await preparePostDataSession(client, this.#in.searchPath)
    return client
  }

  #release(client: pg.Client, healthy: boolean): void {
    if (healthy) this.#free.push(client)
    else void client.end().catch(() => undefined)
  }

  /** Close the pooled sessions. */
  async close(): Promise<void> {
    await Promise.all(this.#free.splice(0).map((c) => c.end().catch(() => undefined)))
  }

  async #run(step: DdlStep): Promise<void> {
    if (this.#in.execute !== undefined) await this.#in.execute(step, this.#copying)
    else {
      const client = await this.#connect()
      let healthy = false
      try {
        await runPostDataStep(client, this.#ctx, step, this.#in.targetDb, this.#copying)
        healthy = true
      } finally {
        this.#release(client, healthy)
      }
    }
    await this.#ctx.store.putProgress(this.#ctx.taskId, [
      {
        kind: POST_DATA_DONE_KIND,
        key: postDataDoneKey(this.#in.targetDb, step.key),
        value: { doneAt: new Date().toISOString() },
      },
    ])
    this.#done.add(step.key)
    this.stepsRun++
    this.#in.onStepDone?.()
    this.#ctx.emit('schema:object', {
      taskId: this.#ctx.taskId,
      database: this.#in.targetDb,
      kind: step.kind,
      name: step.name,
      phase: 'post-data',
    })
  }

  async #analyze(qualified: string): Promise<void> {
    const client = await this.#connect()
    let healthy = false
    try {
      await client.query(`${this.#in.vacuum ? 'VACUUM (ANALYZE)' : 'ANALYZE'} ${qualified}`)
      healthy = true
    } finally {
      this.#release(client, healthy)
    }
  }
}
