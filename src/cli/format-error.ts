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
  return taskId === undefined ? fix : fix?.split('<task id>').join(taskId)
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
export function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof PgferryError)
    return { code: error.code, message: error.message, fix: error.fix ?? null }
  return { code: null, message: error instanceof Error ? error.message : String(error), fix: null }
}
