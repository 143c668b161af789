/**
 * `--verbose`: the events the default progress output leaves out, one line each (state moves,
 * every object created, tables starting, which worker claimed and finished which job of a load with
 * workers, apply batches, the WAL a slot retains).
 */
import type { PgferryEvents, Task } from '../index.js'
import type { CliOutput } from './cli-output.js'
import { attachProgress } from './progress-reporter.js'

const VERBOSE_EVENTS: readonly (keyof PgferryEvents)[] = [
  'task:state',
  'schema:object',
  'table:start',
  'worker:job',
  'apply:batch',
  'wal:retained',
]

/** Print `task`'s extra events on `out` when it is verbose; returns the function that unsubscribes. */
export function attachVerbose(task: Task, out: CliOutput): () => void {
  if (!out.verbose || out.json) return () => undefined
  const off: (() => void)[] = []
  for (const name of VERBOSE_EVENTS) {
    const listener = (e: PgferryEvents[typeof name]): void => {
      const { taskId: _id, ...rest } = e as unknown as Record<string, unknown>
      out.line(`  ${name} ${JSON.stringify(rest)}`)
    }
    task.on(name, listener as never)
    off.push(() => task.off(name, listener as never))
  }
  return () => off.forEach((f) => f())
}

/**
 * Everything a command that drives `task` prints while it runs: the progress lines and, with
 * `--verbose`, the extra events. Returns the function that unsubscribes both.
 */
export function attachOutput(task: Task, out: CliOutput): () => void {
  const detachProgress = attachProgress(task, out)
  const detachVerbose = attachVerbose(task, out)
  return () => {
    detachProgress()
    detachVerbose()
  }
}
