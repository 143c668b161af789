/**
 * An error as the CLI prints it: a PgferryError with its code, message and fix — the fix in the
 * command line's words (`cliFix`) where the library gave one, with `<task id>` filled in when the
 * command knows the task; anything else with its message. The CLI's SecretFilter cleans the text
 * afterwards.
 */
import { PgferryError } from '../index.js'

/** The fix a person at the command line should read for `error`, or undefined. */
export function cliFixOf(error: PgferryError, taskId?: string): string | undefined {
  const fix = error.cliFix ?? error.fix
  return fix === undefined ? undefined : withTaskId(fix, taskId)
}

/** `fix` with its `<task id>` placeholders filled in, when the task is known. */
function withTaskId(fix: string, taskId: string | undefined): string {
  return taskId === undefined ? fix : fix.split('<task id>').join(taskId)
}

/** The lines to print for `error`; `taskId` fills in the fix's `<task id>`. */
export function formatError(error: unknown, taskId?: string): string[] {
  if (error instanceof PgferryError) {
    const lines = [`error ${error.code}: ${error.message}`]
    const fix = cliFixOf(error, taskId)
    if (fix !== undefined) lines.push(`  fix: ${fix}`)
    return lines
  }
  return [`error: ${error instanceof Error ? error.message : String(error)}`]
}

/** An error as the fields of a --json `error` line: code, message and fix when it has them. */
export function errorFields(error: unknown, taskId?: string): Record<string, unknown> {
  // the fix a person at the command line can act on: the CLI form where the library gave one
  if (error instanceof PgferryError)
    return { code: error.code, message: error.message, fix: cliFixOf(error, taskId) ?? null }
  return { code: null, message: error instanceof Error ? error.message : String(error), fix: null }
}

/**
 * A kept or emitted event's payload as the command line shows it: a failure's fix in the command
 * line's words (`cliFix`, with `<task id>` filled in) in place of the library's, as for an error
 * the command itself hit; any other payload as it is.
 */
export function cliEventPayload(
  payload: Readonly<Record<string, unknown>>,
  taskId?: string,
): Readonly<Record<string, unknown>> {
  const error = payload.error
  if (typeof error !== 'object' || error === null) return payload
  const { cliFix, ...rest } = error as Record<string, unknown>
  const fix = typeof cliFix === 'string' ? cliFix : rest.fix
  if (typeof fix !== 'string') return payload
  return { ...payload, error: { ...rest, fix: withTaskId(fix, taskId) } }
}

/** A kept failure's fix as the command line shows it, if it has one. */
export function cliEventFix(
  payload: Readonly<Record<string, unknown>>,
  taskId?: string,
): string | undefined {
  const fix = (cliEventPayload(payload, taskId).error as { fix?: unknown } | undefined)?.fix
  return typeof fix === 'string' ? fix : undefined
}

/** `item` with its fix in the command line's words: its `cliFix` in place of `fix`, where it has one. */
export function withCliFix<T extends { readonly fix?: string; readonly cliFix?: string }>(
  item: T,
): Omit<T, 'cliFix'> {
  const { cliFix, ...rest } = item
  return cliFix === undefined ? rest : { ...rest, fix: cliFix }
}
