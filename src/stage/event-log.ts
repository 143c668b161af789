/**
 * A task's events: every one goes to the task's listeners, and the ones an operator wants to read
 * back later are also appended to the store, in emit order.
 */
import type { EmitFn, PgferryEvents } from '../model/events.js'
import type { ProgressStore } from '../model/progress-store.js'
import { serializeError } from './wrap-stage-error.js'

/** Kept events: what an operator wants to read back later. */
const KEPT_EVENTS = new Set<keyof PgferryEvents>([
  'warning',
  'error',
  'task:state',
  'task:paused',
  'stage:done',
])

export class EventLog {
  #writes: Promise<void> = Promise.resolve()

  /** `deliver` hands an event to the task's listeners. */
  constructor(
    private readonly taskId: string,
    private readonly store: ProgressStore,
    private readonly deliver: (name: keyof PgferryEvents, event: unknown) => void,
  ) {}

  /** Deliver an event, and keep it when it is one of the kept kinds. */
  readonly emit: EmitFn = (name, event) => {
    this.deliver(name, event)
    if (!KEPT_EVENTS.has(name)) return
    const payload =
      name === 'error'
        ? { ...event, error: serializeError((event as PgferryEvents['error']).error) }
        : event
    const stored = { at: new Date(), name, payload: payload as unknown as Record<string, unknown> }
    // chained: kept in emit order, and flush() (task.close) waits for them; a store that fails
    // here loses an event record, which must not fail the stage that emitted it
    this.#writes = this.#writes
      .then(() => this.store.appendEvent(this.taskId, stored))
      .catch(() => undefined)
  }

  /** Resolves when every kept event so far is written (or failed to be). */
  flush(): Promise<void> {
    return this.#writes
  }
}
