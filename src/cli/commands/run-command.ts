/**
 * `pgferry run`: create a task, precheck it, run its stages with progress.
 */
import { createTask } from '../../index.js'
import type { Command } from '../command-context.js'
import { describeConnection } from '../describe-connection.js'
import { driveTask } from '../drive-task.js'
import { EXIT } from '../exit-codes.js'
import { precheckGate, precheckOptionsFromFlags } from '../precheck-gate.js'
import { attachOutput } from '../verbose-events.js'
import { taskConfigFromFlags } from '../task-config-from-flags.js'

/** `pgferry run --source URL --target URL --type TYPE […]`. */
export const runCommand: Command = async ({ flags, out, secrets, noteTask }) => {
  const config = taskConfigFromFlags(flags, secrets, 'run', 'target')
  const precheck = precheckOptionsFromFlags(flags, 'run')
  const source = describeConnection(config.source)
  const target = describeConnection(config.target)
  const task = await createTask(config)
  noteTask(task.id)
  const detach = attachOutput(task, out)
  try {
    if (out.json) {
      out.jsonLine('task', { taskId: task.id, taskType: config.type, source, target })
    } else {
      out.line(`task ${task.id} (${config.type}): ${source} → ${target}`)
    }
    if (!(await precheckGate(task, precheck, out))) {
      detach()
      // nothing was created on the servers yet: forget the task rather than leave it listed
      await task.delete().catch(() => undefined)
      return EXIT.FAILED
    }
    return await driveTask(task, { completeAfterSync: flags.has('complete-after-sync'), out })
  } finally {
    detach()
    await task.close()
  }
}
