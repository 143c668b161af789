/**
 * The command line: `pgferry <command> [positionals] [flags]`, parsed with node:util's parseArgs
 * against the flags of that command only, so that a flag another command takes is still an error.
 */
import { parseArgs } from 'node:util'
import { UsageError } from './usage-error.js'

/** The commands, in the order `--help` lists them. */
export const COMMANDS = [
  'run',
  'precheck',
  'list',
  'status',
  'events',
  'pause',
  'resume',
  'complete',
  'verify',
  'delete',
  'worker',
] as const
/** A command name. */
export type CommandName = (typeof COMMANDS)[number]

interface FlagSpec {
  readonly type: 'string' | 'boolean'
  readonly multiple?: boolean
  readonly short?: string
}

const FLAGS = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  source: { type: 'string' },
  target: { type: 'string' },
  type: { type: 'string' },
  name: { type: 'string' },
  objects: { type: 'string' },
  database: { type: 'string', multiple: true },
  config: { type: 'string' },
  parallelism: { type: 'string' },
  'replica-identity': { type: 'string' },
  publication: { type: 'string' },
  skip: { type: 'string', multiple: true },
  'complete-after-sync': { type: 'boolean' },
  mode: { type: 'string' },
  sample: { type: 'string' },
  tables: { type: 'string', multiple: true },
  'exclude-tables': { type: 'string', multiple: true },
  schema: { type: 'string', multiple: true },
  'include-dependencies': { type: 'boolean' },
  'target-free-bytes': { type: 'string' },
  throttle: { type: 'string' },
  'start-at': { type: 'string' },
  tag: { type: 'string', multiple: true },
  takeover: { type: 'boolean' },
  'lease-stale-after': { type: 'string' },
  'source-password-file': { type: 'string' },
  'target-password-file': { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  quiet: { type: 'boolean', short: 'q' },
  watch: { type: 'boolean' },
  interval: { type: 'string' },
  follow: { type: 'boolean' },
  queue: { type: 'string' },
  concurrency: { type: 'string' },
} as const satisfies Record<string, FlagSpec>

/** A flag name. */
export type FlagName = keyof typeof FLAGS

/** Where the servers are and their passwords; every command that opens a task takes these. */
const CONNECTION_FLAGS = [
  'source',
  'target',
  'source-password-file',
  'target-password-file',
] as const
const OUTPUT_FLAGS = ['json', 'verbose', 'quiet'] as const
const TASK_FLAGS = [
  ...CONNECTION_FLAGS,
  'type',
  'name',
  'objects',
  'database',
  'schema',
  'tables',
  'exclude-tables',
  'include-dependencies',
  'config',
  'parallelism',
  'throttle',
  'start-at',
  'tag',
  'replica-identity',
  'publication',
  'skip',
  'target-free-bytes',
  'lease-stale-after',
] as const
const COMMAND_FLAGS: Readonly<Record<CommandName, readonly FlagName[]>> = {
  run: [...TASK_FLAGS, ...OUTPUT_FLAGS, 'complete-after-sync'],
  precheck: [...TASK_FLAGS, ...OUTPUT_FLAGS],
  list: ['target', 'json'],
  status: ['target', 'source', 'watch', 'interval', 'json'],
  events: ['target', 'follow', 'interval', 'json'],
  pause: ['target', 'target-password-file', 'json'],
  resume: [
    ...CONNECTION_FLAGS,
    ...OUTPUT_FLAGS,
    'skip',
    'target-free-bytes',
    'complete-after-sync',
    'takeover',
    'lease-stale-after',
  ],
  complete: [...CONNECTION_FLAGS, ...OUTPUT_FLAGS, 'takeover', 'lease-stale-after'],
  verify: [...CONNECTION_FLAGS, 'mode', 'sample', 'tables', 'json'],
  delete: [...CONNECTION_FLAGS],
  worker: ['queue', 'concurrency', 'json'],
}
/** How many positionals (the task id) each command takes. */
const POSITIONALS: Readonly<Record<CommandName, 0 | 1>> = {
  run: 0,
  precheck: 0,
  list: 0,
  status: 1,
  events: 1,
  pause: 1,
  resume: 1,
  complete: 1,
  verify: 1,
  delete: 1,
  worker: 0,
}

/** The parsed flags of one command. */
export class Flags {
  readonly #values: Readonly<Record<string, string | boolean | string[] | undefined>>
  readonly #command: CommandName

  constructor(
    command: CommandName,
    values: Readonly<Record<string, string | boolean | string[] | undefined>>,
  ) {
    this.#command = command
    this.#values = values
  }

  /** A string flag, or `undefined`. */
  string(name: FlagName): string | undefined {
    const v = this.#values[name]
    return typeof v === 'string' ? v : undefined
  }

  /** A string flag that must be given. */
  required(name: FlagName, what: string): string {
    const v = this.string(name)
    if (v === undefined || v === '')
      throw new UsageError(`missing --${name} (${what})`, this.#command)
    return v
  }

  /** A repeatable flag's values (comma-separated values split). */
  list(name: FlagName): string[] {
    const v = this.#values[name]
    const all = Array.isArray(v) ? v : typeof v === 'string' ? [v] : []
    return all
      .flatMap((x) => x.split(','))
      .map((x) => x.trim())
      .filter((x) => x !== '')
  }

  /** A repeatable flag's values as given. */
  each(name: FlagName): string[] {
    const v = this.#values[name]
    return Array.isArray(v) ? v : typeof v === 'string' ? [v] : []
  }

  /** A boolean flag. */
  has(name: FlagName): boolean {
    return this.#values[name] === true
  }
}

/** What the command line asks for. */
export type CommandLine =
  | { readonly kind: 'help'; readonly command: CommandName | undefined }
  | { readonly kind: 'version' }
  | {
      readonly kind: 'command'
      readonly command: CommandName
      readonly id: string | undefined
      readonly flags: Flags
    }

const isCommand = (s: string | undefined): s is CommandName =>
  (COMMANDS as readonly string[]).includes(s ?? '')

/** Parse `argv` (without node and the script). Throws UsageError on any mistake. */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const [first, ...rest] = argv
  if (first === undefined) throw new UsageError('no command given')
  if (first === '--help' || first === '-h') return { kind: 'help', command: undefined }
  if (first === '--version' || first === '-V' || first === 'version') return { kind: 'version' }
  if (first === 'help') {
    const topic = rest[0]
    if (topic !== undefined && !isCommand(topic)) throw new UsageError(`unknown command '${topic}'`)
    return { kind: 'help', command: topic }
  }
  if (!isCommand(first)) {
    throw new UsageError(
      first.startsWith('-')
        ? `a command must come first, before '${first}'`
        : `unknown command '${first}'`,
    )
  }
  const command = first
  const options = Object.fromEntries(
    ['help' as const, ...COMMAND_FLAGS[command]].map((n) => [n, FLAGS[n]]),
  ) as Record<string, FlagSpec>
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({ args: [...rest], options, strict: true, allowPositionals: true })
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    // parseArgs appends advice about '--' positionals, which does not apply to pgferry
    throw new UsageError(message.replace(/\. To specify a positional argument.*$/s, ''), command)
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>
  if (values.help === true) return { kind: 'help', command }
  const want = POSITIONALS[command]
  if (parsed.positionals.length > want) {
    throw new UsageError(`unexpected argument '${parsed.positionals[want] ?? ''}'`, command)
  }
  const id = parsed.positionals[0]
  if (want === 1 && id === undefined) throw new UsageError('missing the task ID', command)
  return { kind: 'command', command, id, flags: new Flags(command, values) }
}
