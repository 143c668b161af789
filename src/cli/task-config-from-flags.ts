/**
 * The TaskConfig that `run` and `precheck` build from their flags and `--config FILE`. The file is
 * JSON: either the object selection alone ("instance" or {"databases": {…}}, the older form), or
 * an object with any of the task's settings under their library names — name, type, source,
 * target, objects, parallelism, throttle, startAt, tags, replicaIdentity, publication,
 * splitTablesLargerThan, ownership — and the precheck's skip and targetFreeBytes. A flag given on
 * the command line wins over the file.
 */
import { readFileSync } from 'node:fs'
import {
  MIGRATION_TYPES,
  type LeaseOptions,
  type MigrationType,
  type ObjectsInput,
  type TaskConfig,
  type ThrottleConfig,
} from '../index.js'
import { cliConnection } from './cli-connection.js'
import { describeConnection } from './describe-connection.js'
import type { Flags } from './parse-command-line.js'
import type { SecretFilter } from './secret-filter.js'
import { selectionFromFlags } from './selection-from-flags.js'
import { UsageError } from './usage-error.js'

const isType = (s: string): s is MigrationType => (MIGRATION_TYPES as readonly string[]).includes(s)

/** The keys a --config file may hold (besides the older bare-selection form). */
const FILE_KEYS = new Set([
  'name',
  'type',
  'source',
  'target',
  'objects',
  'parallelism',
  'throttle',
  'startAt',
  'tags',
  'replicaIdentity',
  'publication',
  'splitTablesLargerThan',
  'ownership',
  'skip',
  'targetFreeBytes',
  'lease',
])

/** What --config FILE holds, as settings by their library names. */
export type ConfigFile = Readonly<Record<string, unknown>>

/** Read --config FILE, if given; the older form (the selection alone) becomes `{ objects }`. */
export function readConfigFile(flags: Flags, command: string): ConfigFile {
  const file = flags.string('config')
  if (file === undefined) return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error)
    throw new UsageError(`--config ${file}: ${why}`, command)
  }
  if (parsed === 'instance') return { objects: 'instance' }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(
      `--config ${file} must hold a JSON object of task settings, or the task's objects ("instance" or {"databases": {…}})`,
      command,
    )
  }
  const keys = Object.keys(parsed)
  if (keys.includes('databases') && !keys.includes('objects')) return { objects: parsed }
  const unknown = keys.filter((k) => !FILE_KEYS.has(k))
  if (unknown.length > 0) {
    throw new UsageError(
      `--config ${file}: unknown setting(s) ${unknown.join(', ')} (known: ${[...FILE_KEYS].join(', ')})`,
      command,
    )
  }
  return parsed as ConfigFile
}

/** A positive integer flag value. */
export function positiveInt(
  value: string | undefined,
  flag: string,
  command: string,
): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) {
    throw new UsageError(`--${flag} must be a positive integer, not '${value}'`, command)
  }
  return n
}

const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
}

/** `--throttle 50MB` (bytes per second, per second implied) or `--throttle 2000rows`. */
export function throttleFromFlag(value: string, command: string): ThrottleConfig {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)(?:\/s)?$/i.exec(value.trim())
  const unit = m?.[2]?.toLowerCase() ?? ''
  const n = Number(m?.[1])
  if (m === null || !(n > 0) || (unit !== 'rows' && UNITS[unit] === undefined)) {
    throw new UsageError(
      `--throttle takes a rate like 50MB (bytes per second; k, M, G) or 2000rows, not '${value}'`,
      command,
    )
  }
  return unit === 'rows'
    ? { rowsPerSecond: Math.round(n) }
    : { bytesPerSecond: Math.round(n * (UNITS[unit] as number)) }
}

/** `--tag KEY=VALUE`, repeatable. */
function tagsFromFlags(flags: Flags, command: string): Record<string, string> | undefined {
  const tags = flags.each('tag')
  if (tags.length === 0) return undefined
  const out: Record<string, string> = {}
  for (const t of tags) {
    const at = t.indexOf('=')
    if (at <= 0) throw new UsageError(`--tag takes KEY=VALUE, not '${t}'`, command)
    out[t.slice(0, at)] = t.slice(at + 1)
  }
  return out
}

function startAtFromFlag(value: string | undefined, command: string): string | undefined {
  if (value === undefined || value === 'immediate') return value
  if (Number.isNaN(Date.parse(value))) {
    throw new UsageError(
      `--start-at takes a date and time like 2026-12-24T22:00:00Z (or 'immediate'), not '${value}'`,
      command,
    )
  }
  return value
}

function replicaIdentityFromFlag(value: string | undefined, command: string): string | undefined {
  if (value !== undefined && value !== 'require' && value !== 'full-for-keyless') {
    throw new UsageError(
      `--replica-identity must be require or full-for-keyless, not '${value}'`,
      command,
    )
  }
  return value
}

/** The connection URL of `side`: the flag, else the file's, else PGFERRY_SOURCE/PGFERRY_TARGET. */
function urlOf(flags: Flags, file: ConfigFile, side: 'source' | 'target'): string | undefined {
  const fromFile = file[side]
  return flags.string(side) ?? (typeof fromFile === 'string' ? fromFile : undefined)
}

/** The task config the flags of `run` / `precheck` (and --config FILE) describe. */
export function taskConfigFromFlags(
  flags: Flags,
  secrets: SecretFilter,
  command: string,
  store: 'target' | 'memory',
): TaskConfig & { readonly source: string; readonly target: string } {
  const file = readConfigFile(flags, command)
  const source = cliConnection('source', urlOf(flags, file, 'source'), secrets, command, flags)
  const target = cliConnection('target', urlOf(flags, file, 'target'), secrets, command, flags)
  const fileType = typeof file.type === 'string' ? file.type : undefined
  const type =
    flags.string('type') ?? fileType ?? flags.required('type', MIGRATION_TYPES.join(' | '))
  if (!isType(type)) {
    throw new UsageError(
      `--type must be one of ${MIGRATION_TYPES.join(', ')}, not '${type}'`,
      command,
    )
  }
  const sourceDb = describeConnection(source).replace(/^[^/]*\//, '')
  const objects = selectionFromFlags(
    flags,
    command,
    sourceDb,
    file.objects as ObjectsInput | undefined,
  )
  const parallelism = positiveInt(flags.string('parallelism'), 'parallelism', command)
  const throttleFlag = flags.string('throttle')
  const throttle = throttleFlag === undefined ? undefined : throttleFromFlag(throttleFlag, command)
  const replicaIdentity = replicaIdentityFromFlag(flags.string('replica-identity'), command)
  const startAt = startAtFromFlag(flags.string('start-at'), command)
  const tags = tagsFromFlags(flags, command)
  const publication = flags.string('publication')
  const lease = leaseFromFlags(flags, command)
  const name =
    flags.string('name') ??
    (typeof file.name === 'string' ? file.name : undefined) ??
    `${describeConnection(source)} to ${describeConnection(target)}`
  // the file's settings go to the library as they are: it validates each and names the field
  const { skip: _skip, targetFreeBytes: _free, ...fromFile } = file
  return {
    ...(fromFile as Partial<TaskConfig>),
    name,
    source,
    target,
    type,
    store,
    ...(objects === undefined ? {} : { objects }),
    ...(parallelism === undefined ? {} : { parallelism }),
    ...(throttle === undefined ? {} : { throttle }),
    ...(replicaIdentity === undefined
      ? {}
      : { replicaIdentity: replicaIdentity as TaskConfig['replicaIdentity'] & string }),
    ...(startAt === undefined ? {} : { startAt }),
    ...(tags === undefined ? {} : { tags }),
    ...(publication === undefined ? {} : { publication }),
    ...(lease === undefined ? {} : { lease }),
  }
}

/**
 * `--lease-stale-after SECONDS`: how long a lease whose holder stopped beating is still respected
 * before this process takes it over (default 30 s); for run, resume and complete.
 */
export function leaseFromFlags(flags: Flags, command: string): LeaseOptions | undefined {
  const seconds = positiveInt(flags.string('lease-stale-after'), 'lease-stale-after', command)
  return seconds === undefined ? undefined : { staleAfterMs: seconds * 1000 }
}
