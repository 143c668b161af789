/** A row of the store's `task` table, and the record it stands for. */
import type { TaskState } from '../model/task-state.js'
import type { TaskRecord } from '../model/progress-store.js'

export interface TaskRow {
  id: string
  name: string
  type: string
  state: TaskState
  config: Record<string, unknown>
  tags: Record<string, string>
  stage: string | null
  error: string | null
  skipped_checks: string[]
  created_at: Date
  updated_at: Date
}

export function toRecord(r: TaskRow): TaskRecord {
  return {
    id: r.id,
    name: r.name,
    type: r.type,
    state: r.state,
    config: r.config,
    tags: r.tags,
    stage: r.stage ?? undefined,
    error: r.error ?? undefined,
    skippedChecks: r.skipped_checks,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}
