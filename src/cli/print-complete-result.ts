/**
 * What `complete` did, as one line (or one JSON line).
 */
import type { CompleteResult, Task } from '../index.js'
import type { CliOutput } from './cli-output.js'

/** Print the result of `complete`. */
export function printCompleteResult(task: Task, r: CompleteResult, out: CliOutput): void {
  if (out.json) {
    out.jsonLine('completed', { taskId: task.id, result: r })
    return
  }
  const fences = Object.entries(r.fenceLsn)
    .map(([db, lsn]) => `${db} at ${lsn}`)
    .join(', ')
  out.line(
    `task ${task.id} completed: drained ${fences || 'nothing'}; ${r.sequencesSet} sequences set, ${r.tablesVerified} tables verified, ${r.largeObjects} large objects, ${r.slotsDropped} slots and ${r.publicationsDropped} publications dropped`,
  )
}
