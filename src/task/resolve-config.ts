/**
 * Config resolution, done once in `createTask` (pg-boss's "attorney"): defaults applied, every
 * field validated with an error that names the field and the fix, the result deep-frozen.
 * Connections (and their passwords) resolve in resolve-connection.ts, selections in
 * resolve-objects.ts.
 */
import { availableParallelism } from 'node:os'
import { randomUUID } from 'node:crypto'
import type { ThrottleConfig, TaskConfig } from '../model/task-config.js'
import type { ProgressStore } from '../model/progress-store.js'
import { ledgerOf } from '../model/target-ledger.js'
import { DEFAULT_JOB_TIMEOUT_SECONDS, type ResolvedWorkers } from '../model/workers.js'
import { STAGE_KINDS, STAGE_STATES, type Stage } from '../model/stage-contract.js'
import {
  DEFAULT_OWNERSHIP,
  DEFAULT_REPLICA_IDENTITY,
  MIGRATION_TYPES,
  type ResolvedTaskConfig,
} from '../model/resolved-config.js'
import { invalid, isRecord, nonEmptyString } from './config-checks.js'
import { resolveConnection } from './resolve-connection.js'
import { resolveObjects } from './resolve-objects.js'
import { BUILTIN_STAGE_NAMES } from './builtin-stage-names.js'

/** The default parallelism: the cores of this machine, kept between 2 and 8. */
export function defaultParallelism(): number {
  return Math.min(8, Math.max(2, availableParallelism()))
}

/** A custom stage's `kind` and `state`, checked: the runner acts on them. */
function checkRunnerMembers(s: Stage, field: string): void {
  if (s.kind !== undefined && !(STAGE_KINDS as readonly unknown[]).includes(s.kind))
    throw invalid(
      `${field}.kind`,
      `'${String(s.kind)}' is no stage kind`,
      `use one of ${STAGE_KINDS.join(', ')}`,
    )
  if (s.state !== undefined && !(STAGE_STATES as readonly unknown[]).includes(s.state))
    throw invalid(
      `${field}.state`,
      `'${String(s.state)}' is no state a stage runs in`,
      `use one of ${STAGE_STATES.join(', ')}, or leave it out to run in the state of the stage before`,
    )
}

function resolveStages(stages: readonly Stage[] | undefined): readonly Stage[] {
  if (stages === undefined) return Object.freeze([])
  if (!Array.isArray(stages))
    throw invalid('stages', 'must be an array of { name, after?, run }', 'see the Stage type')
  const names = new Set<string>(BUILTIN_STAGE_NAMES)
  const out: Stage[] = []
  stages.forEach((s: Stage, i) => {
    const field = `stages[${i}]`
    if (!isRecord(s) || !nonEmptyString(s.name))
      throw invalid(`${field}.name`, 'is missing', 'give every stage a unique name')
    if (typeof s.run !== 'function')
      throw invalid(`${field}.run`, 'must be a function (ctx) => Promise', 'add a run(ctx) method')
    if (names.has(s.name))
      throw invalid(
        `${field}.name`,
        `'${s.name}' is already taken`,
        `built-in stages are ${BUILTIN_STAGE_NAMES.join(', ')}; pick another name`,
      )
    if (s.after !== undefined && !names.has(s.after)) {
      throw invalid(
        `${field}.after`,
        `'${s.after}' is not a stage declared before it`,
        `use one of ${[...names].join(', ')}`,
      )
    }
    checkRunnerMembers(s, field)
    names.add(s.name)
    out.push(Object.freeze({ ...s }))
  })
  return Object.freeze(out)
}

function resolveThrottle(v: unknown): Readonly<ThrottleConfig> | undefined {
  if (v === undefined) return undefined
  if (!isRecord(v)) throw invalid('throttle', 'must be an object', 'e.g. { bytesPerSecond: 50e6 }')
  const out: { bytesPerSecond?: number; rowsPerSecond?: number } = {}
  for (const [k, x] of Object.entries(v)) {
    if (k !== 'bytesPerSecond' && k !== 'rowsPerSecond')
      throw invalid(`throttle.${k}`, 'is not a known key', 'use bytesPerSecond or rowsPerSecond')
    if (x === undefined) continue
    if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0)
      throw invalid(`throttle.${k}`, 'must be a positive number', 'or leave it out for no cap')
    out[k] = x
  }
  return Object.keys(out).length === 0 ? undefined : Object.freeze(out)
}

function isProgressStore(v: unknown): v is ProgressStore {
  return isRecord(v) && typeof v.loadTask === 'function' && typeof v.saveTask === 'function'
}

/** Validate and resolve a config. Throws `PGFERRY_CONFIG_INVALID` naming the field and the fix. */
export function resolveConfig(config: TaskConfig): {
  config: ResolvedTaskConfig
  store: ProgressStore | undefined
} {
  if (!isRecord(config))
    throw invalid('', 'must be an object', 'pass { name, source, target, type }')
  if (!nonEmptyString(config.name))
    throw invalid('name', 'is missing', `give the task a name, e.g. 'orders to new cluster'`)
  const id = config.id ?? randomUUID()
  if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,100}$/.test(id)) {
    throw invalid('id', 'must be 1–100 letters, digits, - or _', 'leave it out for a random UUID')
  }
  if (!MIGRATION_TYPES.includes(config.type)) {
    throw invalid(
      'type',
      `${JSON.stringify(config.type)} is not a migration type`,
      `use one of ${MIGRATION_TYPES.map((t) => `'${t}'`).join(', ')}`,
    )
  }
  const source = resolveConnection(config.source, 'source')
  const target = resolveConnection(config.target, 'target')
  const objects = resolveObjects(config.objects, source)
  const startAt = resolveStartAt(config.startAt)
  const tags = config.tags ?? {}
  if (!isRecord(tags) || !Object.values(tags).every((v) => typeof v === 'string')) {
    throw invalid('tags', 'must map names to strings', `e.g. { team: 'payments' }`)
  }
  const parallelism = config.parallelism ?? defaultParallelism()
  if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > 64) {
    throw invalid(
      'parallelism',
      `${String(config.parallelism)} is not an integer between 1 and 64`,
      'leave it out to use the number of cores',
    )
  }
  const throttle = resolveThrottle(config.throttle)
  const splitTablesLargerThan = resolveSplitSize(config.splitTablesLargerThan)
  const { ownership, replicaIdentity, publication } = resolvePolicies(config)
  const { store, storeKind } = resolveStore(config.store)
  const resolved: ResolvedTaskConfig = Object.freeze({
    id,
    name: config.name,
    type: config.type,
    source,
    target,
    objects,
    startAt,
    tags: Object.freeze({ ...tags }),
    parallelism,
    throttle,
    splitTablesLargerThan,
    ownership,
    replicaIdentity,
    publication,
    store: storeKind,
    ledger: Object.freeze(ledgerOf(store?.schemaName)),
    stages: resolveStages(config.stages),
    workers: resolveWorkers(config.workers, storeKind),
  })
  return { config: resolved, store }
}

/** The workers' queue; they read the task from the store in the target, so no other store. */
function resolveWorkers(
  input: TaskConfig['workers'],
  storeKind: ResolvedTaskConfig['store'],
): ResolvedWorkers | undefined {
  if (input === undefined) return undefined
  if (!isRecord(input) || input.queue === undefined)
    throw invalid('workers', 'must be { queue }', `e.g. { queue: 'postgres://user@host/queue' }`)
  if (storeKind !== 'target') {
    throw invalid(
      'workers',
      `needs the store in the target (store is '${storeKind}')`,
      `leave store out (or set store: 'target'): workers on other machines read the task's settings there`,
    )
  }
  const timeout = input.jobTimeoutSeconds ?? DEFAULT_JOB_TIMEOUT_SECONDS
  if (!Number.isInteger(timeout) || timeout < 3 || timeout > 86_400) {
    throw invalid(
      'workers.jobTimeoutSeconds',
      `${String(input.jobTimeoutSeconds)} is not an integer between 3 and 86400`,
      `leave it out for ${DEFAULT_JOB_TIMEOUT_SECONDS} s`,
    )
  }
  return Object.freeze({
    queue: resolveConnection(input.queue, 'workers.queue'),
    jobTimeoutSeconds: timeout,
  })
}

function resolveStartAt(v: TaskConfig['startAt']): Date | undefined {
  let startAt: Date | undefined
  if (v !== undefined && v !== 'immediate') {
    startAt = v instanceof Date ? new Date(v.getTime()) : new Date(v)
    if (Number.isNaN(startAt.getTime()))
      throw invalid(
        'startAt',
        'is not a valid date',
        `use 'immediate', a Date or an ISO 8601 string`,
      )
  }
  return startAt
}

function resolveSplitSize(v: number | undefined): number | undefined {
  if (v !== undefined && (!Number.isFinite(v) || v < 0)) {
    throw invalid(
      'splitTablesLargerThan',
      `${String(v)} is not a size in bytes`,
      'use a number of bytes ≥ 0 (0 turns splitting off), e.g. 268435456',
    )
  }
  return v
}

/** Ownership, replica identity and publication: what pgferry may do to the objects it meets. */
function resolvePolicies(
  config: TaskConfig,
): Pick<ResolvedTaskConfig, 'ownership' | 'replicaIdentity' | 'publication'> {
  const ownership = config.ownership ?? DEFAULT_OWNERSHIP
  if (ownership !== 'keep' && ownership !== 'target-user') {
    throw invalid(
      'ownership',
      `${String(ownership as unknown)} is not 'keep' or 'target-user'`,
      `leave it out to keep the source's owners and grants`,
    )
  }
  const replicaIdentity = config.replicaIdentity ?? DEFAULT_REPLICA_IDENTITY
  if (replicaIdentity !== 'require' && replicaIdentity !== 'full-for-keyless') {
    throw invalid(
      'replicaIdentity',
      `${String(replicaIdentity as unknown)} is not 'require' or 'full-for-keyless'`,
      `use 'full-for-keyless' to let pgferry set REPLICA IDENTITY FULL on tables without a key, or leave it out`,
    )
  }
  const publication = config.publication
  if (publication !== undefined && (typeof publication !== 'string' || publication === '')) {
    throw invalid(
      'publication',
      `${String(publication as unknown)} is not a publication name`,
      `name a publication that exists in every selected source database, or leave it out`,
    )
  }
  return { ownership, replicaIdentity, publication }
}

function resolveStore(input: TaskConfig['store']): {
  store: ProgressStore | undefined
  storeKind: ResolvedTaskConfig['store']
} {
  const storeInput = input ?? 'target'
  let store: ProgressStore | undefined
  let storeKind: ResolvedTaskConfig['store']
  if (storeInput === 'target' || storeInput === 'memory') storeKind = storeInput
  else if (isProgressStore(storeInput)) {
    storeKind = 'custom'
    store = storeInput
    const schema: unknown = store.schemaName
    if (schema !== undefined && !nonEmptyString(schema))
      throw invalid(
        'store',
        `names its schema ${JSON.stringify(schema)}, which is not a schema name`,
        `give the store a schemaName (the target ledger takes its name), or none for 'pgferry'`,
      )
  } else
    throw invalid(
      'store',
      `must be 'target', 'memory' or a ProgressStore`,
      `leave it out to keep progress in the target`,
    )
  return { store, storeKind }
}
