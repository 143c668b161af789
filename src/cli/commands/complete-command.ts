/**
 * `pgferry complete ID`: cut a full+incremental task over.
 */
import { openTask } from '../../index.js'
import { completeAndReport } from '../complete-and-report.js'
import type { Command } from '../command-context.js'
import { attachOutput } from '../verbose-events.js'
import { withReopenOptions } from '../reopen-options.js'
import { ShutdownSignals } from '../shutdown-signals.js'

/** `pgferry complete ID [--target URL] [--takeover]`. */
export const completeCommand: Command = async (ctx) => {
  const { flags, out } = ctx
  const { result: task } = await withReopenOptions(ctx, openTask)
  const detach = attachOutput(task, out)
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
