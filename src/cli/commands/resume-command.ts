/**
 * `pgferry resume ID`: continue a task where it stopped.
 */
import { openTask } from '../../index.js'
import { cliConnection } from '../cli-connection.js'
import type { Command } from '../command-context.js'
import { driveTask } from '../drive-task.js'
import { EXIT } from '../exit-codes.js'
import { precheckGate, skipFromFlags } from '../precheck-gate.js'
import { attachProgress } from '../progress-reporter.js'

/** `pgferry resume ID --source URL --target URL [--takeover] […]`. */
export const resumeCommand: Command = async ({ id, flags, out, secrets }) => {
  const source = cliConnection('source', flags.string('source'), secrets, 'resume')
  const target = cliConnection('target', flags.string('target'), secrets, 'resume')
  const skip = skipFromFlags(flags, 'resume')
  const task = await openTask(id ?? '', { source, target })
  const detach = attachProgress(task, out)
  try {
    if (task.state === 'completed') {
      out.line(`task ${task.id} is already completed`)
      return EXIT.OK
    }
    out.line(`resuming task ${task.id} (${task.config.type}), state ${task.state}`)
    if (task.state === 'created' || task.state === 'precheck_failed') {
      if (!(await precheckGate(task, skip, out))) return EXIT.FAILED
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
