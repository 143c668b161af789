/**
 * `pgferry resume ID`: continue a task where it stopped.
 */
import { openTask } from '../../index.js'
import type { Command } from '../command-context.js'
import { driveTask } from '../drive-task.js'
import { EXIT } from '../exit-codes.js'
import { precheckGate, precheckOptionsFromFlags } from '../precheck-gate.js'
import { attachOutput } from '../verbose-events.js'
import { withReopenOptions } from '../reopen-options.js'

/** `pgferry resume ID [--target URL] [--takeover] […]`. */
export const resumeCommand: Command = async (ctx) => {
  const { flags, out } = ctx
  const precheck = precheckOptionsFromFlags(flags, 'resume')
  const { result: task } = await withReopenOptions(ctx, openTask)
  const detach = attachOutput(task, out)
  try {
    if (task.state === 'completed') {
      out.line(`task ${task.id} is already completed`)
      return EXIT.OK
    }
    out.line(`resuming task ${task.id} (${task.config.type}), state ${task.state}`)
    if (task.state === 'created' || task.state === 'precheck_failed') {
      if (!(await precheckGate(task, precheck, out))) return EXIT.FAILED
    }
    return await driveTask(task, {
      completeAfterSync: flags.has('complete-after-sync'),
      takeover: flags.has('takeover'),
      out,
    })
  } finally {
    detach()
    await task.close()
  }
}
