/**
 * Waiting for a task's `startAt`, abortable, for any distance: a timer longer than 2^31-1 ms
 * (24.8 days) fires at once in Node, so a far date is waited for a day at a time.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { PgferryError } from '../errors.js'

const MAX_STEP_MS = 86_400_000

/** Resolves at `at` (at once if it has passed); rejects with PGFERRY_ABORTED when `signal` fires. */
export async function waitUntil(at: Date, signal: AbortSignal): Promise<void> {
  for (;;) {
    const ms = at.getTime() - Date.now()
    if (ms <= 0) return
    try {
      // rejects at once on a signal that is already aborted (an 'abort' listener would not)
      await sleep(Math.min(ms, MAX_STEP_MS), undefined, { signal })
    } catch (error) {
      throw new PgferryError(
        'PGFERRY_ABORTED',
        `aborted while waiting for startAt (${at.toISOString()})`,
        { cause: error },
      )
    }
  }
}
