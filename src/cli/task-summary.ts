/**
 * A task record as `list` and `status` show it: the servers as host:port/database (the stored
 * config has no password, but the CLI prints no more than that), dates as ISO strings.
 */
import type { TaskRecord } from '../index.js'

/** What the CLI shows of a task. */
export interface TaskSummary {
  readonly id: string
  readonly name: string
  /** The task's migration type (`full`, …): not `type`, which every --json line uses for its kind. */
  readonly taskType: string
  readonly state: string
  readonly stage: string | undefined
  readonly error: string | undefined
  readonly source: string | undefined
  readonly target: string | undefined
  readonly skippedChecks: readonly string[]
  readonly createdAt: string
  readonly updatedAt: string
}

function server(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null) return undefined
  const c = v as { host?: unknown; port?: unknown; database?: unknown }
  return `${String(c.host)}:${String(c.port)}/${String(c.database)}`
}

/** The summary of one record. */
export function taskSummary(r: TaskRecord): TaskSummary {
  return {
    id: r.id,
    name: r.name,
    taskType: r.type,
    state: r.state,
    stage: r.stage,
    error: r.error,
    source: server(r.config.source),
    target: server(r.config.target),
    skippedChecks: r.skippedChecks,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  }
}
