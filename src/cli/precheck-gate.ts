/**
 * The precheck before `run` (and `resume` of a task that has not passed it): prints the items that
 * did not pass, each with its fix, and says whether the stages may start.
 */
import { PRECHECK_ITEM_IDS, type PrecheckOptions, type Task } from '../index.js'
import type { CliOutput } from './cli-output.js'
import { cliPrecheckReport, formatPrecheckReport } from './format-precheck-report.js'
import type { Flags } from './parse-command-line.js'
import { positiveInt, readConfigFile } from './task-config-from-flags.js'
import { UsageError } from './usage-error.js'

/** `--skip a,b --skip c` → the ids, each checked against PRECHECK_ITEM_IDS. */
export function skipFromFlags(
  flags: Flags,
  command: string,
  more: readonly string[] = [],
): string[] {
  const ids = [...more, ...flags.list('skip')]
  const known = PRECHECK_ITEM_IDS as readonly string[]
  const unknown = ids.filter((id) => !known.includes(id))
  if (unknown.length > 0) {
    throw new UsageError(
      `--skip: unknown precheck item ${unknown.join(', ')} (known: ${known.join(', ')})`,
      command,
    )
  }
  return ids
}

/** The precheck's options: `--skip`, `--target-free-bytes`, and the same in --config FILE. */
export function precheckOptionsFromFlags(flags: Flags, command: string): PrecheckOptions {
  const file = readConfigFile(flags, command)
  const fileSkip = Array.isArray(file.skip) ? file.skip.map(String) : []
  const skip = skipFromFlags(flags, command, fileSkip)
  const fileFree =
    typeof file.targetFreeBytes === 'number' ? String(file.targetFreeBytes) : undefined
  const free = positiveInt(
    flags.string('target-free-bytes') ?? fileFree,
    'target-free-bytes',
    command,
  )
  return {
    ...(skip.length > 0 ? { skip } : {}),
    ...(free === undefined ? {} : { targetFreeBytes: free }),
  }
}

/** Run the precheck, print what did not pass; true when the task may go on. */
export async function precheckGate(
  task: Task,
  options: PrecheckOptions,
  out: CliOutput,
): Promise<boolean> {
  const report = await task.precheck(options)
  if (out.quiet && !report.ok) {
    // --quiet silences stdout: a failed precheck still says why, on stderr
    for (const line of formatPrecheckReport(report, false)) out.error(line)
  } else if (out.json) {
    out.jsonLine('precheck', cliPrecheckReport(report))
  } else {
    for (const line of formatPrecheckReport(report, false)) out.line(line)
    if (!report.ok) {
      out.line('fix the failing items and run again, or skip items with --skip ID[,ID…]')
    }
  }
  return report.ok
}
