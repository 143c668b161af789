/**
 * The precheck before `run` (and `resume` of a task that has not passed it): prints the items that
 * did not pass, each with its fix, and says whether the stages may start.
 */
import { PRECHECK_ITEM_IDS, type Task } from '../index.js'
import type { CliOutput } from './cli-output.js'
import { formatPrecheckReport } from './format-precheck-report.js'
import type { Flags } from './parse-command-line.js'
import { UsageError } from './usage-error.js'

/** `--skip a,b --skip c` → the ids, each checked against PRECHECK_ITEM_IDS. */
export function skipFromFlags(flags: Flags, command: string): string[] {
  const ids = flags.list('skip')
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

/** Run the precheck, print what did not pass; true when the task may go on. */
export async function precheckGate(task: Task, skip: string[], out: CliOutput): Promise<boolean> {
  const report = await task.precheck(skip.length > 0 ? { skip } : {})
  if (out.json) {
    out.jsonLine('precheck', report)
  } else {
    for (const line of formatPrecheckReport(report, false)) out.line(line)
    if (!report.ok) {
      out.line('fix the failing items and run again, or skip items with --skip ID[,ID…]')
    }
  }
  return report.ok
}
