/**
 * What `resume`, `complete` and `delete` need to reopen a task: only its id and where it is kept
 * (`--target URL` or PGFERRY_TARGET). The servers come from the task's stored settings, which hold
 * no password: each side's password comes from the environment, a `--…-password-file`, or, on a
 * terminal, a prompt that does not echo. `--source URL` replaces the stored source connection.
 * The id may be a unique prefix of one.
 */
import { listTasks, PgferryError, type ConnectionInput, type OpenTaskOptions } from '../index.js'
import { cliConnection, givenPassword } from './cli-connection.js'
import type { CommandContext } from './command-context.js'
import { canPrompt, promptPassword } from './prompt-password.js'
import { leaseFromFlags } from './task-config-from-flags.js'
import { UsageError } from './usage-error.js'

/** The full id a (possibly shortened) `id` names among the tasks in the store at `target`. */
export async function resolveTaskId(
  id: string,
  target: string | ConnectionInput,
  command: string,
): Promise<string> {
  const ids = (await listTasks({ target })).map((t) => t.id)
  if (ids.includes(id)) return id
  const matches = ids.filter((x) => x.startsWith(id))
  if (matches.length > 1) {
    throw new UsageError(
      `task ID '${id}' is ambiguous: it starts ${matches.length} tasks (${matches.join(', ')}); give more of it`,
      command,
    )
  }
  // no match: the library says the task is not found, with its fix
  return matches[0] ?? id
}

/** The side whose password a PGFERRY_CONFIG_SECRET_MISSING error asks for. */
function missingSide(error: unknown): 'source' | 'target' | undefined {
  if (!(error instanceof PgferryError) || error.code !== 'PGFERRY_CONFIG_SECRET_MISSING')
    return undefined
  if (error.side === 'source' || error.side === 'target') return error.side
  return /\bwith a target password\b/.test(error.message) ? 'target' : 'source'
}

/**
 * Call `fn` (openTask or deleteTask) for the task the command names, with the reopen options; a
 * password the task needs and the environment did not give is asked for on a terminal, once per
 * side. Resolves with `fn`'s result and the task's full id.
 */
export async function withReopenOptions<T>(
  ctx: CommandContext,
  fn: (id: string, options: OpenTaskOptions) => Promise<T>,
): Promise<{ result: T; id: string }> {
  const { flags, secrets, command } = ctx
  let target = cliConnection('target', flags.string('target'), secrets, command, flags)
  // the id is resolved in the store, on the target: its password may be the first one asked for
  let id: string | undefined
  const sourceUrl = flags.string('source')
  let source: OpenTaskOptions['source'] =
    sourceUrl !== undefined
      ? cliConnection('source', sourceUrl, secrets, command, flags)
      : undefined
  if (source === undefined) {
    const password = givenPassword('source', secrets, command, flags)
    if (password !== undefined) source = { password }
  }
  const lease = leaseFromFlags(flags, command)
  const asked = new Set<string>()
  for (;;) {
    try {
      id ??= await resolveTaskId(ctx.id ?? '', target, command)
      ctx.noteTask(id)
      const result = await fn(id, {
        target,
        ...(source === undefined ? {} : { source }),
        ...(lease === undefined ? {} : { lease }),
      })
      return { result, id }
    } catch (error) {
      const side = missingSide(error)
      if (side === undefined || asked.has(side) || !canPrompt()) throw error
      asked.add(side)
      const password = await promptPassword(`${side} password for task ${id ?? ctx.id ?? ''}: `)
      secrets.add(password)
      if (side === 'target') {
        const url = new URL(target)
        url.password = encodeURIComponent(password)
        target = url.toString()
      } else if (typeof source === 'string') {
        const url = new URL(source)
        url.password = encodeURIComponent(password)
        source = url.toString()
      } else {
        source = { password }
      }
    }
  }
}
