/**
 * How to continue a task, printed when the CLI stops before the task is done. URLs are shown as
 * placeholders: the CLI never prints a connection string.
 */
import type { Task } from '../index.js'
import type { CliOutput } from './cli-output.js'

/** Print the commands that resume or complete `task`. */
export function printResumeHint(task: Task, out: CliOutput): void {
  if (out.json) {
    out.jsonLine('paused', { taskId: task.id, taskType: task.config.type })
    return
  }
  const urls = '--source <source URL> --target <target URL>'
  out.line(
    `task ${task.id} can be continued (source ${host(task.config.source)}, target ${host(task.config.target)}):`,
  )
  out.line(`  resume:   pgferry resume ${task.id} ${urls}`)
  if (task.config.type === 'full+incremental') {
    out.line(
      `  complete: pgferry complete ${task.id} ${urls}   (after stopping writes to the source)`,
    )
  }
  out.line(`  delete:   pgferry delete ${task.id} ${urls}   (drops its slot and publication)`)
}

function host(c: Task['config']['source']): string {
  return `${c.host}:${c.port}/${c.database}`
}
