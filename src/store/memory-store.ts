/**
 * An in-process store for unit tests and throwaway tasks. Nothing survives the process.
 */
import { PgferryError } from '../errors.js'
import type {
  ProgressEntry,
  ProgressStore,
  StoredEvent,
  TaskPatch,
  TaskRecord,
} from '../model/progress-store.js'
import type { TaskState } from '../model/task-state.js'
import type {
  LeaseAcquireOptions,
  LeaseAcquireResult,
  LeaseClaim,
  TaskLease,
} from '../model/lease.js'

/**
 * {@link ProgressStore} kept in memory.
 * @public
 */
export class MemoryStore implements ProgressStore {
  readonly #tasks = new Map<string, TaskRecord>()
  readonly #progress = new Map<string, Map<string, ProgressEntry>>()
  readonly #events = new Map<string, StoredEvent[]>()
  readonly #leases = new Map<string, TaskLease>()

  /** {@inheritDoc ProgressStore.init} */
  async init(): Promise<void> {}

  /** {@inheritDoc ProgressStore.saveTask} */
  async saveTask(record: TaskRecord): Promise<void> {
    if (this.#tasks.has(record.id)) {
      throw new PgferryError('PGFERRY_TASK_EXISTS', `task ${record.id} already exists`, {
        fix: 'open it with openTask(id) or choose another id',
        cliFix: 'pgferry resume <task id> continues it',
      })
    }
    this.#tasks.set(record.id, structuredClone(record))
  }

  /** {@inheritDoc ProgressStore.loadTask} */
  async loadTask(id: string): Promise<TaskRecord | undefined> {
    const r = this.#tasks.get(id)
    return r === undefined ? undefined : structuredClone(r)
  }

  /** {@inheritDoc ProgressStore.listTasks} */
  async listTasks(): Promise<TaskRecord[]> {
    return [...this.#tasks.values()]
      .map((r) => structuredClone(r))
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
  }

  /** {@inheritDoc ProgressStore.updateTask} */
  async updateTask(id: string, patch: TaskPatch, expectState?: TaskState): Promise<boolean> {
    const r = this.#tasks.get(id)
    if (r === undefined) return false
    if (expectState !== undefined && r.state !== expectState) return false
    this.#tasks.set(id, { ...r, ...structuredClone(patch), updatedAt: new Date() })
    return true
  }

  /** {@inheritDoc ProgressStore.deleteTask} */
  async deleteTask(id: string): Promise<void> {
    this.#tasks.delete(id)
    this.#events.delete(id)
    this.#leases.delete(id)
    for (const key of this.#progress.keys())
      if (key.startsWith(`${id}\0`)) this.#progress.delete(key)
  }

  /** {@inheritDoc ProgressStore.getProgress} */
  async getProgress(taskId: string, kind: string): Promise<ProgressEntry[]> {
    return [...(this.#progress.get(`${taskId}\0${kind}`)?.values() ?? [])].map((e) =>
      structuredClone(e),
    )
  }

  /** {@inheritDoc ProgressStore.putProgress} */
  async putProgress(taskId: string, entries: readonly ProgressEntry[]): Promise<void> {
    for (const e of entries) {
      const k = `${taskId}\0${e.kind}`
      let m = this.#progress.get(k)
      if (m === undefined) this.#progress.set(k, (m = new Map()))
      m.set(e.key, structuredClone(e))
    }
  }

  /** {@inheritDoc ProgressStore.deleteProgress} */
  async deleteProgress(taskId: string, kind: string, key?: string): Promise<void> {
    const k = `${taskId}\0${kind}`
    if (key === undefined) this.#progress.delete(k)
    else this.#progress.get(k)?.delete(key)
  }

  /** {@inheritDoc ProgressStore.appendEvent} */
  async appendEvent(taskId: string, event: StoredEvent): Promise<void> {
    let list = this.#events.get(taskId)
    if (list === undefined) this.#events.set(taskId, (list = []))
    list.push(structuredClone(event))
  }

  /** {@inheritDoc ProgressStore.listEvents} */
  async listEvents(taskId: string): Promise<StoredEvent[]> {
    return (this.#events.get(taskId) ?? []).map((e) => structuredClone(e))
  }

  /** {@inheritDoc ProgressStore.acquireLease} */
  async acquireLease(
    taskId: string,
    claim: LeaseClaim,
    options: LeaseAcquireOptions,
  ): Promise<LeaseAcquireResult> {
    const held = this.#leases.get(taskId)
    const now = new Date()
    if (
      held === undefined ||
      held.token === claim.token ||
      held.token === options.replace ||
      now.getTime() - held.beatAt.getTime() > options.staleAfterMs
    ) {
      const startedAt = held?.token === claim.token ? held.startedAt : now
      this.#leases.set(taskId, { ...claim, startedAt, beatAt: now })
      return { acquired: true }
    }
    return { acquired: false, held: structuredClone(held) }
  }

  /** {@inheritDoc ProgressStore.renewLease} */
  async renewLease(
    taskId: string,
    token: string,
    live?: Readonly<Record<string, unknown>>,
  ): Promise<boolean> {
    const held = this.#leases.get(taskId)
    if (held?.token !== token) return false
    this.#leases.set(taskId, {
      ...held,
      beatAt: new Date(),
      ...(live === undefined ? {} : { live: structuredClone(live) }),
    })
    return true
  }

  /** {@inheritDoc ProgressStore.releaseLease} */
  async releaseLease(taskId: string, token: string): Promise<void> {
    if (this.#leases.get(taskId)?.token === token) this.#leases.delete(taskId)
  }

  /** {@inheritDoc ProgressStore.getLease} */
  async getLease(taskId: string): Promise<TaskLease | undefined> {
    const held = this.#leases.get(taskId)
    return held === undefined ? undefined : structuredClone(held)
  }

  /** {@inheritDoc ProgressStore.close} */
  async close(): Promise<void> {}
}
