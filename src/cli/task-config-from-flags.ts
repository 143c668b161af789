/**
 * The TaskConfig that `run` and `precheck` build from their flags.
 */
import { readFileSync } from 'node:fs'
import {
  MIGRATION_TYPES,
  type MigrationType,
  type ObjectsInput,
  type TaskConfig,
} from '../index.js'
import { cliConnection } from './cli-connection.js'
import { describeConnection } from './describe-connection.js'
import type { Flags } from './parse-command-line.js'
import type { SecretFilter } from './secret-filter.js'
import { UsageError } from './usage-error.js'

const isType = (s: string): s is MigrationType => (MIGRATION_TYPES as readonly string[]).includes(s)

/** `--objects`, `--database` or `--config`: at most one of them; `undefined` for the default. */
function objectsFromFlags(flags: Flags, command: string): ObjectsInput | undefined {
  const objects = flags.string('objects')
  const databases = flags.each('database')
  const file = flags.string('config')
  const given = [objects, databases.length > 0 ? databases : undefined, file].filter(
    (x) => x !== undefined,
  )
  if (given.length > 1) {
    throw new UsageError('give only one of --objects, --database and --config', command)
  }
  if (objects !== undefined) {
    if (objects !== 'instance') {
      throw new UsageError(
        `--objects takes only 'instance' (use --database or --config for a selection)`,
        command,
      )
    }
    return 'instance'
  }
  if (databases.length > 0) {
    const selection: Record<string, true | { as: string }> = {}
    for (const d of databases) {
      const [name, as, extra] = d.split(':')
      if (name === undefined || name === '' || as === '' || extra !== undefined) {
        throw new UsageError(`--database takes DB or DB:AS, not '${d}'`, command)
      }
      selection[name] = as === undefined ? true : { as }
    }
    return { databases: selection }
  }
  if (file !== undefined) {
    let parsed: unknown
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'))
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error)
      throw new UsageError(`--config ${file}: ${why}`, command)
    }
    // the file may hold the selection itself or a config-like object with an `objects` field
    if (typeof parsed === 'object' && parsed !== null && 'objects' in parsed) {
      parsed = (parsed as { objects: unknown }).objects
    }
    if (parsed !== 'instance' && (typeof parsed !== 'object' || parsed === null)) {
      throw new UsageError(
        `--config ${file} must hold "instance" or {"databases": {…}} (the task's objects)`,
        command,
      )
    }
    // the library validates the shape and names the field that is wrong
    return parsed as ObjectsInput
  }
  return undefined
}

/** A positive integer flag value. */
function positiveInt(value: string | undefined, flag: string, command: string): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) {
    throw new UsageError(`--${flag} must be a positive integer, not '${value}'`, command)
  }
  return n
}

/** The task config the flags of `run` / `precheck` describe. */
export function taskConfigFromFlags(
  flags: Flags,
  secrets: SecretFilter,
  command: string,
  store: 'target' | 'memory',
): TaskConfig & { readonly source: string; readonly target: string } {
  const rawSource = flags.string('source')
  const rawTarget = flags.string('target')
  const source = cliConnection('source', rawSource, secrets, command)
  const target = cliConnection('target', rawTarget, secrets, command)
  const type = flags.required('type', MIGRATION_TYPES.join(' | '))
  if (!isType(type)) {
    throw new UsageError(
      `--type must be one of ${MIGRATION_TYPES.join(', ')}, not '${type}'`,
      command,
    )
  }
  const objects = objectsFromFlags(flags, command)
  const parallelism = positiveInt(flags.string('parallelism'), 'parallelism', command)
  const replicaIdentity = flags.string('replica-identity')
  if (
    replicaIdentity !== undefined &&
    replicaIdentity !== 'require' &&
    replicaIdentity !== 'full-for-keyless'
  ) {
    throw new UsageError(
      `--replica-identity must be require or full-for-keyless, not '${replicaIdentity}'`,
      command,
    )
  }
  const publication = flags.string('publication')
  const name =
    flags.string('name') ?? `${describeConnection(source)} to ${describeConnection(target)}`
  return {
    name,
    source,
    target,
    type,
    store,
    ...(objects === undefined ? {} : { objects }),
    ...(parallelism === undefined ? {} : { parallelism }),
    ...(replicaIdentity === undefined ? {} : { replicaIdentity }),
    ...(publication === undefined ? {} : { publication }),
  }
}
