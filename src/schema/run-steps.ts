/**
 * Runs DDL steps on a target connection, in order, batched: consecutive transactional steps go to
 * the server as one multi-statement query (one implicit transaction, one round trip), which is what
 * makes thousands of tables fast. A failed batch is retried step by step to find the culprit. Each
 * step is marked done in the store after it commits; a step that fails because its object already
 * exists (a crash between the commit and the mark) counts as done, so a re-run finishes what is
 * missing without failing on what exists.
 */
import type pg from 'pg'
import { PgferryError, messageOf, sqlStateOf } from '../errors.js'
import type { ProgressStore } from '../model/progress-store.js'
import { shownSql, type DdlStep } from './ddl-step.js'

/** SQLSTATEs meaning "it is already there" (text search objects collide as 23505 on their catalog index). */
const ALREADY_EXISTS = new Set(['42P07', '42710', '42723', '42P06', '42P04', '42701', '23505'])
/** "multiple primary keys": a primary key that is already there. */
const DUPLICATE_PRIMARY_KEY = '42P16'
/** `ADD CONSTRAINT … USING INDEX` on an index that already backs the constraint. */
const INDEX_IN_USE = '55000'

/** Whether `error`, raised by `step`, says that the step's object is already there. */
export function alreadyExists(step: DdlStep, error: unknown): boolean {
  const state = sqlStateOf(error)
  if (state === undefined) return false
  if (ALREADY_EXISTS.has(state)) return true
  if (step.kind !== 'constraint') return false
  return (
    state === DUPLICATE_PRIMARY_KEY ||
    (state === INDEX_IN_USE && step.sql.some((q) => q.includes(' USING INDEX ')))
  )
}

/** How to run and record a list of steps. */
export interface RunStepsOptions {
  readonly store: ProgressStore
  readonly taskId: string
  /** Progress kind that marks a step done. */
  readonly doneKind: string
  /** Prefix of the progress key (`<targetDb>\u0000`). */
  readonly keyPrefix: string
  readonly signal: AbortSignal
  /** Called once per step created by this run. */
  readonly onCreated: (step: DdlStep) => void
  /**
   * Called for a step not marked done whose object the target already has: left as it is (an
   * earlier run created it just before a crash, or it was there before the task).
   */
  readonly onExisting?: (step: DdlStep) => void
  /** Steps per round trip. Defaults to 200. */
  readonly batchSize?: number
}

/** What a run did. */
export interface RunStepsResult {
  readonly created: Record<string, number>
  readonly alreadyDone: number
}

/** The keys already marked done for this prefix. */
export async function doneKeys(
  store: ProgressStore,
  taskId: string,
  doneKind: string,
  keyPrefix: string,
): Promise<Set<string>> {
  const entries = await store.getProgress(taskId, doneKind)
  return new Set(
    entries.filter((e) => e.key.startsWith(keyPrefix)).map((e) => e.key.slice(keyPrefix.length)),
  )
}

/** Run `steps` (already sorted) on `client`. */
export async function runSteps(
  client: pg.Client,
  steps: readonly DdlStep[],
  options: RunStepsOptions,
): Promise<RunStepsResult> {
  const done = await doneKeys(options.store, options.taskId, options.doneKind, options.keyPrefix)
  const created: Record<string, number> = {}
  let alreadyDone = 0
  const batchSize = options.batchSize ?? 200
  let batch: DdlStep[] = []

  const mark = async (list: readonly DdlStep[]): Promise<void> => {
    if (list.length === 0) return
    await options.store.putProgress(
      options.taskId,
      list.map((s) => ({ kind: options.doneKind, key: options.keyPrefix + s.key, value: true })),
    )
  }
  const runOne = async (s: DdlStep): Promise<boolean> => {
    try {
      await client.query(s.sql.join(';\n'))
      return true
    } catch (e) {
      if (alreadyExists(s, e)) return false
      throw new PgferryError(
        'PGFERRY_SCHEMA_CREATE_FAILED',
        `could not create ${s.kind} ${s.name}: ${messageOf(e)}`,
        { cause: e, fix: `the statement was: ${shownSql(s).slice(0, 2000)}` },
      )
    }
  }
  const flush = async (): Promise<void> => {
    const list = batch
    batch = []
    if (list.length === 0) return
    options.signal.throwIfAborted()
    let ok = false
    if (list.length > 1) {
      try {
        await client.query(list.map((s) => s.sql.join(';\n')).join(';\n'))
        ok = true
      } catch {
        ok = false
      }
    }
    if (ok) {
      await mark(list)
      for (const s of list) {
        created[s.kind] = (created[s.kind] ?? 0) + 1
        options.onCreated(s)
      }
      return
    }
    for (const s of list) {
      options.signal.throwIfAborted()
      const fresh = await runOne(s)
      await mark([s])
      if (fresh) {
        created[s.kind] = (created[s.kind] ?? 0) + 1
        options.onCreated(s)
      } else {
        alreadyDone++
        options.onExisting?.(s)
      }
    }
  }

  for (const s of steps) {
    if (done.has(s.key)) {
      alreadyDone++
      continue
    }
    if (s.sql.length === 0) continue
    if (s.transactional === false) {
      await flush()
      options.signal.throwIfAborted()
      for (const stmt of s.sql) await client.query(stmt)
      await mark([s])
      created[s.kind] = (created[s.kind] ?? 0) + 1
      options.onCreated(s)
      continue
    }
    batch.push(s)
    if (batch.length >= batchSize) await flush()
  }
  await flush()
  return { created, alreadyDone }
}
