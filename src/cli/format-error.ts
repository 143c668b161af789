/**
 * An error as the CLI prints it: a PgferryError with its code, message and fix; anything else
 * with its message. The CLI's SecretFilter cleans the text afterwards.
 */
import { PgferryError } from '../index.js'

/** The lines to print for `error`. */
export function formatError(error: unknown): string[] {
  if (error instanceof PgferryError) {
    const lines = [`error ${error.code}: ${error.message}`]
    if (error.fix !== undefined) lines.push(`  fix: ${error.fix}`)
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
