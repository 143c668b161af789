/**
 * How to continue a task, printed when the CLI stops before the task is done: the real commands,
 * with the target (where the task is kept) as a URL without its password. The source comes from
 * the task's stored settings; passwords from the environment, a password file or a prompt.
 */
import type { Task, TaskState } from '../index.js'
import type { CliOutput } from './cli-output.js'

/** `postgres://user@host:port/database` of a resolved connection, with no password. */
export function connectionUrl(c: Task['config']['target']): string {
  const host = c.host.includes(':') ? `[${c.host}]` : c.host
  return `postgres://${encodeURIComponent(c.user)}@${host}:${c.port}/${encodeURIComponent(c.database)}`
}

/**
 * Print the commands that resume (and, once the sync has run, complete) `task` in `state`;
 * `completable` as the task's status report says (by default: syncing or completing).
 */
export function printResumeHint(
  task: Task,
  out: CliOutput,
  state: TaskState = task.state,
  // complete drains a running sync: before the full load has finished there is nothing to complete
  completable = state === 'incremental_sync' || state === 'completing',
): void {
  if (out.json) {
    out.jsonLine('paused', { taskId: task.id, taskType: task.config.type, state, completable })
    return
  }
  const where = `--target ${connectionUrl(task.config.target)}`
  out.line(`task ${task.id} can be continued:`)
  out.line(`  resume:   pgferry resume ${task.id} ${where}`)
  if (completable && task.config.type === 'full+incremental') {
    out.line(
      `  complete: pgferry complete ${task.id} ${where}   (after stopping writes to the source)`,
    )
  }
  out.line(`  delete:   pgferry delete ${task.id} ${where}   (drops its slot and publication)`)
  if (task.config.source.hasPassword || task.config.target.hasPassword) {
    out.line(
      '  passwords: PGFERRY_SOURCE_PASSWORD / PGFERRY_TARGET_PASSWORD, --source-password-file / --target-password-file, or typed at the prompt',
    )
  }
}
