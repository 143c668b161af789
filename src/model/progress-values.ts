/**
 * The store's typed records: for each progress kind of pgferry's own stages (progress-kinds.ts),
 * the type of its value, and a check of a stored value's shape. A value is JSON that crossed a
 * process boundary (written by another process, perhaps by an older pgferry), so it is checked
 * when read (store/progress-records.ts) rather than cast: a record of an unexpected shape is a
 * clear error naming the kind and key, not a wrong value deep in a stage.
 *
 * Pure: types and checks, no I/O.
 */
import type { DdlStep } from './ddl-step.js'
import type { PauseRequest } from './lease.js'
import type { LoadedDatabase, LoadedTable } from './load-progress.js'
import type { DatabaseManifest } from './manifest.js'
import { PROGRESS_KINDS } from './progress-kinds.js'
import type { SourceObject } from './source-object.js'
import type { WorkerBeat } from './workers.js'

/** A step or stage marked done: only the key is read. */
export type DoneMark = true | { readonly doneAt: string }

/** A cutover mark: `<db>/drained` holds the fence LSN, `<db>/done` only when. */
export type CompleteMark = { readonly fence: string; readonly at: string } | { readonly at: string }

/** The value type of each built-in progress kind. */
export interface ProgressValues {
  readonly [PROGRESS_KINDS.stage]: DoneMark
  readonly [PROGRESS_KINDS.schemaDone]: DoneMark
  readonly [PROGRESS_KINDS.postDataPlan]: readonly DdlStep[]
  readonly [PROGRESS_KINDS.postDataDone]: DoneMark
  readonly [PROGRESS_KINDS.manifest]: DatabaseManifest
  readonly [PROGRESS_KINDS.loadedDatabase]: LoadedDatabase
  readonly [PROGRESS_KINDS.loadedTable]: LoadedTable
  readonly [PROGRESS_KINDS.complete]: CompleteMark
  readonly [PROGRESS_KINDS.sourceObject]: SourceObject
  readonly [PROGRESS_KINDS.worker]: WorkerBeat
  readonly [PROGRESS_KINDS.pauseRequest]: PauseRequest
}

/** A built-in kind's entry, its value typed. */
export interface TypedProgressEntry<K extends keyof ProgressValues> {
  readonly kind: K
  readonly key: string
  readonly value: ProgressValues[K]
}

type Field = 'string' | 'number' | 'boolean' | 'string?' | 'array' | 'object'

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** The first field of `v` not of its type, or undefined when every one is. */
function wrongField(v: unknown, fields: Readonly<Record<string, Field>>): string | undefined {
  if (!isObject(v)) return '(the value is not an object)'
  for (const [name, type] of Object.entries(fields)) {
    const x = v[name]
    const ok =
      type === 'string?'
        ? x === null || typeof x === 'string'
        : type === 'array'
          ? Array.isArray(x)
          : type === 'object'
            ? isObject(x)
            : typeof x === type
    if (!ok) return name
  }
  return undefined
}

const doneMark = (v: unknown): string | undefined =>
  v === true ? undefined : wrongField(v, { doneAt: 'string' })

/** Per kind: the wrong part of a stored value, or undefined when its shape is right. */
const CHECKS: { readonly [K in keyof ProgressValues]: (v: unknown) => string | undefined } = {
  [PROGRESS_KINDS.stage]: doneMark,
  [PROGRESS_KINDS.schemaDone]: doneMark,
  [PROGRESS_KINDS.postDataDone]: doneMark,
  [PROGRESS_KINDS.postDataPlan]: (v) => {
    if (!Array.isArray(v)) return '(the value is not a list of steps)'
    const fields = { key: 'string', kind: 'string', name: 'string', sql: 'array' } as const
    for (const step of v as unknown[]) {
      const wrong = wrongField(step, { ...fields, dependsOn: 'array', relations: 'array' })
      if (wrong !== undefined) return `a step's ${wrong}`
    }
    return undefined
  },
  [PROGRESS_KINDS.manifest]: (v) =>
    isObject(v) && v.format !== 1
      ? `format (${JSON.stringify(v.format)}, this pgferry reads 1)`
      : wrongField(v, {
          database: 'object',
          schemas: 'array',
          relations: 'array',
          functions: 'array',
          position: 'number',
          added: 'array',
        }),
  [PROGRESS_KINDS.loadedDatabase]: (v) =>
    wrongField(v, {
      sourceDatabase: 'string',
      targetDatabase: 'string',
      slot: 'string?',
      publication: 'string?',
      consistentPoint: 'string?',
      complete: 'boolean',
    }),
  [PROGRESS_KINDS.loadedTable]: (v) =>
    wrongField(v, {
      sourceDatabase: 'string',
      oid: 'number',
      schema: 'string',
      name: 'string',
      targetSchema: 'string',
      syncLsn: 'string?',
    }),
  [PROGRESS_KINDS.complete]: (v) =>
    isObject(v) && 'fence' in v
      ? wrongField(v, { fence: 'string' })
      : wrongField(v, { at: 'string' }),
  [PROGRESS_KINDS.sourceObject]: (v) =>
    wrongField(v, { database: 'string', kind: 'string', name: 'string' }) ??
    (isObject(v) && !['publication', 'slot', 'replica-identity'].includes(v.kind as string)
      ? 'kind'
      : undefined),
  [PROGRESS_KINDS.worker]: (v) => {
    const wrong = wrongField(v, {
      worker: 'string',
      host: 'string',
      pid: 'number',
      beatAt: 'string',
      jobs: 'array',
    })
    if (wrong !== undefined) return wrong
    for (const job of (v as { jobs: unknown[] }).jobs) {
      const w = wrongField(job, {
        kind: 'string',
        database: 'string',
        name: 'string',
        since: 'string',
      })
      if (w !== undefined) return `a job's ${w}`
    }
    return undefined
  },
  [PROGRESS_KINDS.pauseRequest]: (v) =>
    wrongField(v, { requestedAt: 'string', host: 'string', pid: 'number' }),
}

/**
 * What is wrong with `value` as a stored value of `kind`: the field of an unexpected type, or
 * undefined when it has the shape this pgferry reads.
 */
export function wrongProgressValue<K extends keyof ProgressValues>(
  kind: K,
  value: unknown,
): string | undefined {
  return CHECKS[kind](value)
}
