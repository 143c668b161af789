/**
 * What a worker knows of a task (issue 15): its settings, read from the task's store (the address
 * rides on each job), with the passwords from the worker's environment (`PGFERRY_SOURCE_PASSWORD`,
 * `PGFERRY_TARGET_PASSWORD`; never from the store or the queue), and a stage context for its jobs.
 */
import type pg from 'pg'
import { openClient } from '../pg/connect.js'
import type { EmitFn } from '../model/events.js'
import type { ProgressStore, TaskRecord } from '../model/progress-store.js'
import type { ResolvedTaskConfig } from '../model/resolved-config.js'
import type { Stage, StageContext } from '../model/stage.js'
import type { StoreAddress } from '../model/workers.js'
import { PgStore } from '../store/pg-store.js'
import { contextCanceller } from '../stage/stage-context.js'
import { resolveConnection } from './resolve-connection.js'
import { deserializeConfig } from './stored-config.js'

/** The store at `address`, with the target password from the environment. */
export function workerStore(address: StoreAddress): ProgressStore {
  const password = process.env.PGFERRY_TARGET_PASSWORD
  return new PgStore(
    resolveConnection({ ...address, ...(password !== undefined ? { password } : {}) }, 'store'),
  )
}

/** The task's config as the store has it, with the environment's passwords; stages are not run. */
export function workerConfig(record: TaskRecord): ResolvedTaskConfig {
  const src = process.env.PGFERRY_SOURCE_PASSWORD
  const tgt = process.env.PGFERRY_TARGET_PASSWORD
  const names = (record.config.stages as { name: string }[] | undefined) ?? []
  // a worker runs jobs, never the task's stages: stand-ins satisfy the stored list
  const stages: Stage[] = names.map((s) => ({
    name: s.name,
    run: () => Promise.reject(new Error('a worker does not run stages')),
  }))
  return deserializeConfig(record.config, {
    ...(src !== undefined ? { source: { password: src } } : {}),
    ...(tgt !== undefined ? { target: { password: tgt } } : {}),
    stages,
  })
}

/** A stage context for a worker's jobs of one task; `close` ends the clients it opened. */
export function workerContext(
  config: ResolvedTaskConfig,
  store: ProgressStore,
  emit: EmitFn,
  signal: AbortSignal,
): { ctx: StageContext; close: () => Promise<void> } {
  const opened = new Set<pg.Client>()
  const taskId = config.id
  const canceller = contextCanceller(config, signal)
  const ctx: StageContext = {
    taskId,
    stage: 'fullload',
    config,
    store,
    signal,
    emit,
    options: {},
    connect: async (side, opts = {}) => {
      signal.throwIfAborted()
      const client = await openClient(config[side], side, opts)
      opened.add(client)
      canceller.add(client, side)
      client.once('end', () => opened.delete(client))
      return client
    },
    warn: (code, message, object) =>
      emit('warning', {
        taskId,
        code,
        message,
        stage: 'fullload',
        ...(object !== undefined ? { object } : {}),
      }),
    result: () => undefined,
    // a job's failure goes back to the queue (and so to the coordinator), not into the task state
    fail: async () => undefined,
  }
  const close = async (): Promise<void> => {
    canceller.close()
    await Promise.all([...opened].map((c) => c.end().catch(() => undefined)))
  }
  return { ctx, close }
}
