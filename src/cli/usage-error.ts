/**
 * Bad usage of the command line (an unknown flag, a missing value): exit code 2, with the command's
 * help pointed at.
 */

/** A command-line mistake; the message names the flag. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
  /** The command whose `--help` to point at, when known. */
  readonly command: string | undefined

  constructor(message: string, command?: string) {
    super(message)
    this.command = command
  }
}
