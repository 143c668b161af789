/**
 * `pgferry complete ID`: cut a full+incremental task over.
 */
import { openTask } from '../../index.js'
import { cliConnection } from '../cli-connection.js'
import { completeAndReport } from '../complete-and-report.js'
import type { Command } from '../command-context.js'
import { attachProgress } from '../progress-reporter.js'
import { ShutdownSignals } from '../shutdown-signals.js'

/** `pgferry complete ID --source URL --target URL [--takeover]`. */
export const completeCommand: Command = async ({ id, flags, out, secrets }) => {
  const source = cliConnection('source', flags.string('source'), secrets, 'complete')
  const target = cliConnection('target', flags.string('target'), secrets, 'complete')
  const task = await openTask(id ?? '', { source, target })
  const detach = attachProgress(task, out)
  const shutdown = new ShutdownSignals()
  try {
    out.line(
      `completing task ${task.id} (state ${task.state}): drain, sequences, verify, drop slot`,
    )
    return await completeAndReport(task, shutdown, out, flags.has('takeover'))
  } finally {
    shutdown.dispose()
    detach()
    await task.close()
  }
}
