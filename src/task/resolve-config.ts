/**
 * Config resolution, done once in `createTask` (pg-boss's "attorney"): defaults applied, every
 * field validated with an error that names the field and the fix, the result deep-frozen.
 * Passwords are kept out of the resolved object (a WeakMap holds them), so logging `task.config`
 * or storing it never leaks one.
 */
import { availableParallelism } from 'node:os'
import { randomUUID } from 'node:crypto'
import { parse as parseUrl } from 'pg-connection-string'
import { PgferryError } from '../errors.js'
import { registerSecret } from '../pg/redact.js'
import type {
  ConnectionConfig,
  ConnectionInput,
  MigrationType,
  ObjectsInput,
  Ownership,
  ThrottleConfig,
  SchemaSelection,
  TaskConfig,
} from './task-config.js'
import type { ProgressStore } from '../store/progress-store.js'
import type { Stage } from '../stage/stage.js'
import { BUILTIN_STAGE_NAMES } from '../stage/builtin-stage-names.js'

/** @public */
export const DEFAULT_PORT = 5432
/** @public */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000
/** @public */
export const DEFAULT_APPLICATION_NAME = 'pgferry'
/** @public */
export const DEFAULT_OWNERSHIP: Ownership = 'keep'
/** @public */
export const MIGRATION_TYPES: readonly MigrationType[] = ['structure', 'full', 'full+incremental']

/**
 * Default of `splitTablesLargerThan`: 1 GiB.
 * @public
 */
export const DEFAULT_SPLIT_TABLES_LARGER_THAN = 1024 * 1024 * 1024

/** The default parallelism: the cores of this machine, kept between 2 and 8. */
export function defaultParallelism(): number {
  return Math.min(8, Math.max(2, availableParallelism()))
}

/**
 * A connection with every default applied. The password is not a property: see `passwordOf`.
 * @public
 */
export interface ResolvedConnection {
  readonly host: string
  readonly port: number
  readonly user: string
  readonly database: string
  readonly ssl: boolean | Readonly<Record<string, unknown>>
  readonly connectionTimeoutMillis: number
  readonly applicationName: string
  /** Whether a password (or password function) was given. */
  readonly hasPassword: boolean
}

/** @public */
export interface ResolvedSchema {
  readonly name: string
  /** Name on the target. */
  readonly as: string
  /** `undefined` for a kind means "every object of that kind". */
  readonly tables: readonly string[] | undefined
  readonly views: readonly string[] | undefined
  readonly sequences: readonly string[] | undefined
  readonly functions: readonly string[] | undefined
  readonly exclude: readonly string[]
  /** True when no list was given: the whole schema. */
  readonly whole: boolean
}

/** @public */
export interface ResolvedDatabase {
  readonly name: string
  /** Name on the target. */
  readonly as: string
  /** `undefined`: every non-system schema. */
  readonly schemas: readonly ResolvedSchema[] | undefined
}

/**
 * The selection, normalised. For `instance`, `databases` is undefined until the catalog is read.
 * @public
 */
export interface ResolvedObjects {
  readonly mode: 'instance' | 'selection'
  readonly databases: readonly ResolvedDatabase[] | undefined
  readonly includeDependencies: boolean
}

/**
 * The frozen, validated form of {@link TaskConfig}.
 * @public
 */
export interface ResolvedTaskConfig {
  readonly id: string
  readonly name: string
  readonly type: MigrationType
  readonly source: ResolvedConnection
  readonly target: ResolvedConnection
  readonly objects: ResolvedObjects
  /** `undefined` means immediately. */
  readonly startAt: Date | undefined
  readonly tags: Readonly<Record<string, string>>
  readonly parallelism: number
  /** `undefined` means no cap. */
  readonly throttle: Readonly<ThrottleConfig> | undefined
  /** Bytes; 0 means never split. */
  readonly splitTablesLargerThan: number
  /** Who owns migrated objects: `keep` (source owners and ACLs) or `target-user`. */
  readonly ownership: Ownership
  readonly store: 'target' | 'memory' | 'custom'
  readonly stages: readonly Stage[]
}

type PasswordSource = string | (() => string | Promise<string>)
const passwords = new WeakMap<ResolvedConnection, PasswordSource>()

/** The password of a resolved connection, resolving a password function. */
export async function passwordOf(conn: ResolvedConnection): Promise<string | undefined> {
  const p = passwords.get(conn)
  if (p === undefined) return undefined
  const value = typeof p === 'function' ? await p() : p
  registerSecret(value)
  return value
}

function invalid(field: string, problem: string, fix: string): PgferryError {
  return new PgferryError('PGFERRY_CONFIG_INVALID', `config.${field}: ${problem}`, { fix })
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

function nonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v.trim().length > 0
}

/** Resolve one connection; `field` is `source` or `target`. */
export function resolveConnection(
  input: ConnectionInput | undefined,
  field: string,
): ResolvedConnection {
  if (input === undefined || input === null) {
    throw invalid(
      field,
      'is missing',
      `give a URL like 'postgres://user@host:5432/db' or { host, user, database }`,
    )
  }
  let cfg: ConnectionConfig
  if (typeof input === 'string') {
    if (!/^postgres(ql)?:\/\//i.test(input)) {
      throw invalid(
        field,
        'is not a postgres:// URL',
        `use 'postgres://user:password@host:port/database'`,
      )
    }
    let parsed: ReturnType<typeof parseUrl>
    try {
      parsed = parseUrl(input)
    } catch {
      throw invalid(
        field,
        'is not a valid connection URL',
        `use 'postgres://user:password@host:port/database'`,
      )
    }
    const port = parsed.port == null || parsed.port === '' ? undefined : Number(parsed.port)
    cfg = {
      ...(parsed.host != null && parsed.host !== '' ? { host: parsed.host } : {}),
      ...(port !== undefined ? { port } : {}),
      ...(parsed.user ? { user: decodeURIComponent(parsed.user) } : {}),
      ...(parsed.password ? { password: parsed.password } : {}),
      ...(parsed.database ? { database: parsed.database } : {}),
      ...(parsed.ssl !== undefined && typeof parsed.ssl !== 'string'
        ? { ssl: parsed.ssl as boolean | Record<string, unknown> }
        : {}),
      ...(typeof parsed.application_name === 'string'
        ? { application_name: parsed.application_name }
        : {}),
    }
  } else if (isRecord(input)) {
    cfg = input
  } else {
    throw invalid(
      field,
      'must be a URL string or a connection object',
      `pass { host, port, user, password, database }`,
    )
  }
  const env = process.env
  const port = cfg.port ?? (env.PGPORT ? Number(env.PGPORT) : DEFAULT_PORT)
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw invalid(
      `${field}.port`,
      `${String(cfg.port)} is not a TCP port`,
      'use an integer between 1 and 65535',
    )
  }
  for (const key of ['host', 'user', 'database'] as const) {
    const v = cfg[key]
    if (v !== undefined && typeof v !== 'string') {
      throw invalid(`${field}.${key}`, 'must be a string', `pass ${key} as a string`)
    }
  }
  const timeout = cfg.connectionTimeoutMillis ?? DEFAULT_CONNECT_TIMEOUT_MS
  if (!Number.isFinite(timeout) || timeout <= 0) {
    throw invalid(`${field}.connectionTimeoutMillis`, 'must be a positive number', 'e.g. 10000')
  }
  const password = cfg.password ?? env.PGPASSWORD
  if (password !== undefined && typeof password !== 'string' && typeof password !== 'function') {
    throw invalid(
      `${field}.password`,
      'must be a string or a function',
      'pass the password as a string',
    )
  }
  const ssl = cfg.ssl ?? false
  const resolved: ResolvedConnection = Object.freeze({
    host: cfg.host ?? env.PGHOST ?? 'localhost',
    port,
    user: cfg.user ?? env.PGUSER ?? 'postgres',
    database: cfg.database ?? env.PGDATABASE ?? 'postgres',
    ssl: typeof ssl === 'object' ? Object.freeze({ ...ssl }) : ssl,
    connectionTimeoutMillis: timeout,
    applicationName: cfg.application_name ?? DEFAULT_APPLICATION_NAME,
    hasPassword: password !== undefined,
  })
  if (password !== undefined) {
    passwords.set(resolved, password)
    if (typeof password === 'string') registerSecret(password)
  }
  return resolved
}

/** Copy the password of `from` onto `to` (used when a stored task is reopened). */
export function copyPassword(from: ResolvedConnection, to: ResolvedConnection): void {
  const p = passwords.get(from)
  if (p !== undefined) passwords.set(to, p)
}

function stringList(v: unknown, field: string): readonly string[] | undefined {
  if (v === undefined) return undefined
  if (!Array.isArray(v) || !v.every(nonEmptyString)) {
    throw invalid(field, 'must be an array of names', `e.g. ['orders', 'customers']`)
  }
  return Object.freeze([...v])
}

/** A whole schema, kept under its own name. */
export function wholeSchema(name: string): ResolvedSchema {
  return Object.freeze({
    name,
    as: name,
    tables: undefined,
    views: undefined,
    sequences: undefined,
    functions: undefined,
    exclude: [],
    whole: true,
  })
}

function resolveSchema(name: string, v: unknown, field: string): ResolvedSchema {
  if (v === true) return wholeSchema(name)
  if (!isRecord(v))
    throw invalid(
      field,
      'must be true or { tables, views, sequences, functions, exclude, as }',
      'use true for the whole schema',
    )
  const s = v as SchemaSelection
  const known = new Set(['tables', 'views', 'sequences', 'functions', 'exclude', 'as'])
  for (const k of Object.keys(s)) {
    if (!known.has(k))
      throw invalid(`${field}.${k}`, 'is not a known key', `use one of ${[...known].join(', ')}`)
  }
  if (s.as !== undefined && !nonEmptyString(s.as))
    throw invalid(`${field}.as`, 'must be a non-empty name', 'or leave it out')
  const tables = stringList(s.tables, `${field}.tables`)
  const views = stringList(s.views, `${field}.views`)
  const sequences = stringList(s.sequences, `${field}.sequences`)
  const functions = stringList(s.functions, `${field}.functions`)
  return Object.freeze({
    name,
    as: s.as ?? name,
    tables,
    views,
    sequences,
    functions,
    exclude: stringList(s.exclude, `${field}.exclude`) ?? Object.freeze([]),
    whole:
      tables === undefined &&
      views === undefined &&
      sequences === undefined &&
      functions === undefined,
  })
}

export function resolveObjects(
  input: ObjectsInput | undefined,
  source: ResolvedConnection,
): ResolvedObjects {
  if (input === undefined) {
    return Object.freeze({
      mode: 'selection',
      databases: Object.freeze([
        Object.freeze({ name: source.database, as: source.database, schemas: undefined }),
      ]),
      includeDependencies: false,
    })
  }
  if (input === 'instance')
    return Object.freeze({ mode: 'instance', databases: undefined, includeDependencies: true })
  if (!isRecord(input) || !isRecord(input.databases)) {
    throw invalid(
      'objects',
      `must be 'instance' or { databases: { name: true | { schemas } } }`,
      `e.g. { databases: { shop: { schemas: { public: true } } } }`,
    )
  }
  const dbs = Object.entries(input.databases)
  if (dbs.length === 0)
    throw invalid('objects.databases', 'selects nothing', 'name at least one database')
  if (input.includeDependencies !== undefined && typeof input.includeDependencies !== 'boolean') {
    throw invalid('objects.includeDependencies', 'must be a boolean', 'true or false')
  }
  const targetNames = new Set<string>()
  const databases = dbs.map(([name, v]): ResolvedDatabase => {
    const field = `objects.databases[${JSON.stringify(name)}]`
    if (!nonEmptyString(name)) throw invalid(field, 'has an empty name', 'name the database')
    let as = name
    let schemas: readonly ResolvedSchema[] | undefined
    if (v !== true) {
      if (!isRecord(v))
        throw invalid(field, 'must be true or { schemas, as }', 'use true for the whole database')
      for (const k of Object.keys(v)) {
        if (k !== 'schemas' && k !== 'as')
          throw invalid(`${field}.${k}`, 'is not a known key', 'use schemas or as')
      }
      if (v.as !== undefined) {
        if (!nonEmptyString(v.as))
          throw invalid(`${field}.as`, 'must be a non-empty name', 'or leave it out')
        as = v.as
      }
      if (v.schemas !== undefined) {
        if (!isRecord(v.schemas) || Object.keys(v.schemas).length === 0) {
          throw invalid(
            `${field}.schemas`,
            'must name at least one schema',
            `e.g. { public: true }`,
          )
        }
        schemas = Object.freeze(
          Object.entries(v.schemas).map(([s, sv]) =>
            resolveSchema(s, sv, `${field}.schemas[${JSON.stringify(s)}]`),
          ),
        )
      }
    }
    if (targetNames.has(as))
      throw invalid(
        field,
        `maps to target database '${as}' twice`,
        'give each database its own target name',
      )
    targetNames.add(as)
    return Object.freeze({ name, as, schemas })
  })
  return Object.freeze({
    mode: 'selection',
    databases: Object.freeze(databases),
    includeDependencies: input.includeDependencies ?? false,
  })
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
  let startAt: Date | undefined
  if (config.startAt !== undefined && config.startAt !== 'immediate') {
    startAt =
      config.startAt instanceof Date ? new Date(config.startAt.getTime()) : new Date(config.startAt)
    if (Number.isNaN(startAt.getTime()))
      throw invalid(
        'startAt',
        'is not a valid date',
        `use 'immediate', a Date or an ISO 8601 string`,
      )
  }
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
  const splitTablesLargerThan = config.splitTablesLargerThan ?? DEFAULT_SPLIT_TABLES_LARGER_THAN
  if (!Number.isFinite(splitTablesLargerThan) || splitTablesLargerThan < 0) {
    throw invalid(
      'splitTablesLargerThan',
      `${String(config.splitTablesLargerThan)} is not a size in bytes`,
      'use a number of bytes ≥ 0 (0 turns splitting off), e.g. 1073741824',
    )
  }
  const ownership = config.ownership ?? DEFAULT_OWNERSHIP
  if (ownership !== 'keep' && ownership !== 'target-user') {
    throw invalid(
      'ownership',
      `${String(ownership as unknown)} is not 'keep' or 'target-user'`,
      `leave it out to keep the source's owners and grants`,
    )
  }
  const storeInput = config.store ?? 'target'
  let store: ProgressStore | undefined
  let storeKind: ResolvedTaskConfig['store']
  if (storeInput === 'target' || storeInput === 'memory') storeKind = storeInput
  else if (isProgressStore(storeInput)) {
    storeKind = 'custom'
    store = storeInput
  } else
    throw invalid(
      'store',
      `must be 'target', 'memory' or a ProgressStore`,
      `leave it out to keep progress in the target`,
    )
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
    store: storeKind,
    stages: resolveStages(config.stages),
  })
  return { config: resolved, store }
}
