/**
 * Pause requests (model/lease.ts `PauseRequest`) over any ProgressStore: one progress entry per
 * request, keyed by the lease token of the holder it is meant for. `pgferry pause` writes one for
 * the holder it sees; that holder takes it (reads and deletes it) with a heartbeat and stops. A
 * request for a holder that has gone is never taken by another: its token dies with it.
 */
import type { PauseRequest } from '../model/lease.js'
import type { ProgressStore } from '../model/progress-store.js'
import { PROGRESS_KINDS } from '../model/progress-kinds.js'
import { readProgress } from './progress-records.js'

const KIND = PROGRESS_KINDS.pauseRequest

/** Ask the holder of lease `token` of task `taskId` to stop. */
export async function requestPause(
  store: ProgressStore,
  taskId: string,
  token: string,
  request: PauseRequest,
): Promise<void> {
  await store.putProgress(taskId, [{ kind: KIND, key: token, value: request }])
}

/** The request for the holder of `token`, removed from the store; undefined when there is none. */
export async function takePauseRequest(
  store: ProgressStore,
  taskId: string,
  token: string,
): Promise<PauseRequest | undefined> {
  const entries = await readProgress(store, taskId, KIND)
  const mine = entries.find((e) => e.key === token)
  // requests for holders that are gone (their tokens cannot come back) are dropped on the way
  for (const e of entries) await store.deleteProgress(taskId, KIND, e.key)
  return mine?.value
}
