#!/usr/bin/env node
/**
 * `pgferry`: the command-line shell over the public API (src/index.ts only). Parses the command
 * line, runs one command, prints errors (a PgferryError with its code and fix) and sets the exit
 * code: 0 done, 1 failed, 2 bad usage, 3 paused by `pgferry pause`, 130 interrupted.
 */
import { readFileSync } from 'node:fs'
import { PgferryError } from '../index.js'
import { CliOutput, type WritableText } from './cli-output.js'
import type { Command } from './command-context.js'
import { completeCommand } from './commands/complete-command.js'
import { deleteCommand } from './commands/delete-command.js'
import { eventsCommand } from './commands/events-command.js'
import { listCommand } from './commands/list-command.js'
import { pauseCommand } from './commands/pause-command.js'
import { precheckCommand } from './commands/precheck-command.js'
import { resumeCommand } from './commands/resume-command.js'
import { runCommand } from './commands/run-command.js'
import { statusCommand } from './commands/status-command.js'
import { verifyCommand } from './commands/verify-command.js'
import { workerCommand } from './commands/worker-command.js'
import { EXIT } from './exit-codes.js'
import { errorFields, formatError } from './format-error.js'
import { helpText } from './help-text.js'
import { parseCommandLine, type CommandName } from './parse-command-line.js'
import { SecretFilter } from './secret-filter.js'
import { UsageError } from './usage-error.js'

const COMMAND_FUNCTIONS: Readonly<Record<CommandName, Command>> = {
  run: runCommand,
  precheck: precheckCommand,
  list: listCommand,
  status: statusCommand,
  events: eventsCommand,
  pause: pauseCommand,
  resume: resumeCommand,
  complete: completeCommand,
  verify: verifyCommand,
  delete: deleteCommand,
  worker: workerCommand,
}

/** Error codes that mean the command line (not the migration) was wrong. */
const USAGE_CODES: ReadonlySet<string> = new Set([
  'PGFERRY_CONFIG_INVALID',
  'PGFERRY_CONFIG_SECRET_MISSING',
  'PGFERRY_PRECHECK_ITEM_UNKNOWN',
])

/** `--quiet`: stdout says nothing; errors still reach stderr and the exit code tells the outcome. */
const SILENT: WritableText = { write: () => true }

/** The version in pgferry's package.json. */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
  return pkg.version
}

/** Give a process that still has a handle open (a server that does not answer) this long to end. */
const EXIT_GRACE_MS = 3000

/** Run the CLI with `argv` (without node and the script); resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const secrets = new SecretFilter()
  const usageOut = new CliOutput(process.stdout, process.stderr, secrets, false)
  let out = usageOut
  let command: CommandName | undefined
  let taskId: string | undefined
  try {
    const line = parseCommandLine(argv)
    if (line.kind === 'version') {
      out.line(`pgferry ${version()}`)
      return EXIT.OK
    }
    if (line.kind === 'help') {
      out.line(helpText(line.command))
      return EXIT.OK
    }
    command = line.command
    taskId = line.id
    const { flags } = line
    if (flags.has('quiet') && flags.has('verbose')) {
      throw new UsageError('give only one of --quiet and --verbose', command)
    }
    const quiet = flags.has('quiet')
    const stdout = quiet ? SILENT : process.stdout
    const [json, verbose] = [flags.has('json'), flags.has('verbose')]
    out = new CliOutput(stdout, process.stderr, secrets, json, verbose, quiet)
    return await COMMAND_FUNCTIONS[command]({
      command,
      id: line.id,
      flags,
      out,
      secrets,
      noteTask: (id) => {
        taskId = id
      },
    })
  } catch (error) {
    out.clearStatus()
    // --json: the error as a line of the same shape as the rest (stderr keeps the text)
    if (out.json) out.jsonLine('error', errorFields(error, taskId))
    if (error instanceof UsageError) {
      const cmd = error.command ?? command
      out.error(`pgferry${cmd === undefined ? '' : ` ${cmd}`}: ${error.message}`)
      out.error(`run 'pgferry${cmd === undefined ? '' : ` ${cmd}`} --help' for usage`)
      return EXIT.USAGE
    }
    for (const text of formatError(error, taskId)) out.error(text)
    return error instanceof PgferryError && USAGE_CODES.has(error.code) ? EXIT.USAGE : EXIT.FAILED
  }
}

process.exitCode = await main(process.argv.slice(2))
setTimeout(() => process.exit(), EXIT_GRACE_MS).unref()
