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
