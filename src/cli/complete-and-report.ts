/**
 * `task.complete()` as both `pgferry complete` and `run --complete-after-sync` end: the result
 * printed, or, when a signal or a pause request stopped it, the task's state and how to resume.
 */
import type { Task } from '../index.js'
import type { CliOutput } from './cli-output.js'
import { EXIT } from './exit-codes.js'
import { printCompleteResult } from './print-complete-result.js'
import { reportStop } from './report-stop.js'
import type { ShutdownSignals } from './shutdown-signals.js'

/** Complete `task`; resolves with the exit code, rejects with a failure that no signal caused. */
export async function completeAndReport(
  task: Task,
  shutdown: ShutdownSignals,
  out: CliOutput,
  takeover = false,
): Promise<number> {
  try {
    printCompleteResult(task, await task.complete({ signal: shutdown.signal, takeover }), out)
  } catch (error) {
    const stopped = await reportStop(task, shutdown, out)
    if (stopped === undefined) throw error
    return stopped
  }
  return EXIT.OK
}
