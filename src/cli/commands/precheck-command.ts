/**
 * `pgferry precheck`: the report for a migration, without keeping a task (an in-memory store, so
 * nothing is written to the target).
 */
import { createTask } from '../../index.js'
import type { Command } from '../command-context.js'
import { EXIT } from '../exit-codes.js'
import { cliPrecheckReport, formatPrecheckReport } from '../format-precheck-report.js'
import { precheckOptionsFromFlags } from '../precheck-gate.js'
import { taskConfigFromFlags } from '../task-config-from-flags.js'

/** `pgferry precheck --source URL --target URL --type TYPE […]`. */
export const precheckCommand: Command = async ({ flags, out, secrets }) => {
  const config = taskConfigFromFlags(flags, secrets, 'precheck', 'memory')
  const options = precheckOptionsFromFlags(flags, 'precheck')
  const task = await createTask(config)
  try {
    const report = await task.precheck(options)
    if (out.quiet && !report.ok)
      for (const line of formatPrecheckReport(report, false)) out.error(line)
    else if (out.json) out.jsonLine('precheck', cliPrecheckReport(report))
    else for (const line of formatPrecheckReport(report, true)) out.line(line)
    return report.ok ? EXIT.OK : EXIT.FAILED
  } finally {
    await task.close()
  }
}
