/**
 * What every command gets: its task id (if it takes one), its flags and where to write.
 */
import type { CliOutput } from './cli-output.js'
import type { CommandName, Flags } from './parse-command-line.js'
import type { SecretFilter } from './secret-filter.js'

/** The input of one command. */
export interface CommandContext {
  readonly command: CommandName
  /** The task ID positional (status, resume, complete, delete). */
  readonly id: string | undefined
  readonly flags: Flags
  readonly out: CliOutput
  readonly secrets: SecretFilter
  /** Tell the CLI which task the command works on (its errors' fixes then name it). */
  noteTask(id: string): void
}

/** A command: resolves with the process exit code; rejects with a UsageError or a PgferryError. */
export type Command = (ctx: CommandContext) => Promise<number>
