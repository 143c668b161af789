/**
 * Creating, reopening, listing and deleting tasks.
 */
import { PgferryError } from '../errors.js'
import { MemoryStore } from '../store/memory-store.js'
import { PgStore, type PgStoreOptions } from '../store/pg-store.js'
import type { ProgressStore, TaskRecord } from '../model/progress-store.js'
import { resolveConfig } from './resolve-config.js'
import { resolveConnection } from './resolve-connection.js'
import type { ResolvedTaskConfig } from '../model/resolved-config.js'
import { deserializeConfig, serializeConfig, type ReopenOptions } from './stored-config.js'
import type { ConnectionInput, TaskConfig } from '../model/task-config.js'
import { Task } from './task.js'
import { readTaskStatus, type TaskStatusReport } from './task-report.js'
import type { StoredEvent } from '../model/progress-store.js'

/**
 * A PostgreSQL progress store at the given connection (the default store is this, on the target).
 * @public
 */
export function pgStore(connection: ConnectionInput, options: PgStoreOptions = {}): PgStore {
  return new PgStore(resolveConnection(connection, 'store'), options)
}

function storeFor(
  config: ResolvedTaskConfig,
  given: ProgressStore | undefined,
): { store: ProgressStore; owns: boolean } {
  if (given !== undefined) return { store: given, owns: false }
  if (config.store === 'memory') return { store: new MemoryStore(), owns: true }
  return { store: new PgStore(config.target), owns: true }
}

/**
 * Validate the config, record the task in the store (state `created`) and return it.
 * Rejects with `PGFERRY_CONFIG_INVALID` naming the field and the fix.
 * @public
 */
export async function createTask(config: TaskConfig): Promise<Task> {
  const { config: resolved, store: given } = resolveConfig(config)
  const { store, owns } = storeFor(resolved, given)
  try {
    await store.init()
    const now = new Date()
    await store.saveTask({
      id: resolved.id,
      name: resolved.name,
      type: resolved.type,
      state: 'created',
      config: serializeConfig(resolved),
      tags: resolved.tags,
      stage: undefined,
      error: undefined,
      skippedChecks: [],
      createdAt: now,
      updatedAt: now,
    })
  } catch (error) {
    if (owns) await store.close().catch(() => undefined)
    throw error
  }
  return new Task(resolved, store, 'created', owns, config.lease)
}

/**
 * Where to find tasks: a store, or the target connection whose `pgferry` schema holds them.
 * @public
 */
export interface StoreLocator {
  /** A store object. Takes precedence over `target`. */
  readonly store?: ProgressStore
  /** The target whose `pgferry` schema is the store (the default store of `createTask`). */
  readonly target?: ConnectionInput
}

/**
 * Options for {@link openTask}.
 * @public
 */
export interface OpenTaskOptions extends StoreLocator, ReopenOptions {}

/** Run `fn` with the store `locator` names, closing it after when it was opened here. */
export async function withStore<T>(
  locator: StoreLocator,
  fn: (store: ProgressStore, owns: boolean) => Promise<T>,
): Promise<T> {
  if (locator.store !== undefined) return fn(locator.store, false)
  if (locator.target === undefined) {
    throw new PgferryError('PGFERRY_CONFIG_INVALID', 'no store given', {
      fix: `pass { store } or { target } (the target connection whose 'pgferry' schema holds the tasks)`,
    })
  }
  const store = pgStore(locator.target)
  return fn(store, true)
}

/**
 * Reopen a task created earlier (in this or another process). Passwords and custom stages are not
 * stored: pass them again in `options`.
 * @public
 */
export async function openTask(id: string, options: OpenTaskOptions): Promise<Task> {
  return withStore(options, async (store, owns) => {
    try {
      const record = await store.loadTask(id)
      if (record === undefined) {
        throw new PgferryError('PGFERRY_TASK_NOT_FOUND', `no task with id ${id} in the store`, {
          fix: 'listTasks() shows the tasks the store has',
          cliFix: `'pgferry list --target URL' shows the tasks the store has`,
        })
      }
      const config = deserializeConfig(record.config, options)
      return new Task(config, store, record.state, owns, options.lease)
    } catch (error) {
      if (owns) await store.close().catch(() => undefined)
      throw error
    }
  })
}

/**
 * Every task in the store, oldest first.
 * @public
 */
export async function listTasks(locator: StoreLocator): Promise<TaskRecord[]> {
  return withStore(locator, async (store, owns) => {
    try {
      // reads create nothing: a server that has no store keeps having none
      return await store.listTasks()
    } finally {
      if (owns) await store.close()
    }
  })
}

/**
 * One task's record, or `undefined`.
 * @public
 */
export async function getTask(id: string, locator: StoreLocator): Promise<TaskRecord | undefined> {
  return withStore(locator, async (store, owns) => {
    try {
      return await store.loadTask(id)
    } finally {
      if (owns) await store.close()
    }
  })
}

/**
 * One task's status: whether a process runs it now (from its lease), its stored state and stage,
 * recent warnings and errors, and the next command. Creates nothing.
 * @public
 */
export async function taskStatus(id: string, locator: StoreLocator): Promise<TaskStatusReport> {
  return withStore(locator, async (store, owns) => {
    try {
      return await readTaskStatus(store, id)
    } finally {
      if (owns) await store.close()
    }
  })
}

/**
 * A task's kept events (warnings, errors, state changes, finished stages), oldest first. Creates
 * nothing.
 * @public
 */
export async function taskEvents(id: string, locator: StoreLocator): Promise<StoredEvent[]> {
  return withStore(locator, async (store, owns) => {
    try {
      return await store.listEvents(id)
    } finally {
      if (owns) await store.close()
    }
  })
}

/**
 * Delete a task: drop what its stages left on the servers (slots, publications), then its store
 * rows. Needs the same options as {@link openTask}.
 * @public
 */
export async function deleteTask(id: string, options: OpenTaskOptions): Promise<void> {
  const task = await openTask(id, options)
  try {
    await task.delete()
  } finally {
    await task.close()
  }
}
