/**
 * One runner per task: a Task object holds the task's lease in the store while it works (a stage
 * call in flight, or a stream it started still running) and beats it; a second process, or a second
 * Task object, is refused with PGFERRY_TASK_LEASED naming the holder, and leaves the task as it was.
 * A lease with no beat for `staleAfterMs` is taken over; so is one whose holder ran on this host
 * and whose pid is gone (a SIGKILLed process), at once; `takeover` forces it.
 */
import { randomUUID } from 'node:crypto'
import os from 'node:os'
import { PgferryError } from '../errors.js'
import type { EmitFn } from '../model/events.js'
import {
  DEFAULT_LEASE_BEAT_MS,
  DEFAULT_LEASE_STALE_MS,
  type LeaseOptions,
  type TaskLease,
} from '../model/lease.js'
import type { ProgressStore } from '../model/progress-store.js'

/** Give back one hold; idempotent. */
export type LeaseRelease = () => Promise<void>

export class TaskLeaseHolder {
  readonly #claim = { token: randomUUID(), host: os.hostname(), pid: process.pid }
  readonly #beatMs: number
  readonly #staleMs: number
  #holds = 0
  #lost = false
  #timer: NodeJS.Timeout | undefined
  // store calls in order, so a release and the next acquire of this holder never cross
  #serial: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly taskId: string,
    private readonly store: ProgressStore,
    private readonly emit: EmitFn,
    /** Called when another process took the lease over: this one must stop its work. */
    private readonly onLost: (error: PgferryError) => void,
    options: LeaseOptions = {},
    /** The figures sent with each beat, for `status` in another process. */
    private readonly live: () => Readonly<Record<string, unknown>> | undefined = () => undefined,
    /**
     * Called after each beat that kept the lease, with this holder's token: the task's own look at
     * the store (a pause request for this holder). Its failure is ignored; the next beat calls it
     * again.
     */
    private readonly onBeat: (token: string) => Promise<void> = async () => undefined,
  ) {
    this.#beatMs = options.beatIntervalMs ?? DEFAULT_LEASE_BEAT_MS
    this.#staleMs = options.staleAfterMs ?? DEFAULT_LEASE_STALE_MS
  }

  /** Another process took the lease over: this Task must not write the task's state any more. */
  get lost(): boolean {
    return this.#lost
  }

  /** This holder's token (the store's `TaskLease.token`). */
  get token(): string {
    return this.#claim.token
  }

  /**
   * Hold the lease until the returned function is called; the first hold takes it in the store
   * (refused with PGFERRY_TASK_LEASED while another holder's lease is live, unless `takeover`).
   */
  async hold(takeover = false): Promise<LeaseRelease> {
    if (this.#holds === 0) await this.#inOrder(() => this.#acquire(takeover))
    this.#holds++
    let released = false
    return async () => {
      if (released) return
      released = true
      // close() may have dropped every hold already
      this.#holds = Math.max(0, this.#holds - 1)
      if (this.#holds > 0) return
      clearInterval(this.#timer)
      this.#timer = undefined
      await this.#inOrder(() => this.store.releaseLease(this.taskId, this.#claim.token)).catch(
        () => undefined, // a lease the store did not drop goes stale
      )
    }
  }

  /** Drop the lease whatever holds remain (the Task is closing). */
  async close(): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    this.#holds = 0
    await this.#inOrder(() => this.store.releaseLease(this.taskId, this.#claim.token)).catch(
      () => undefined,
    )
  }

  #inOrder<T>(op: () => Promise<T>): Promise<T> {
    const run = this.#serial.then(op, op)
    this.#serial = run.catch(() => undefined)
    return run
  }

  async #acquire(takeover: boolean): Promise<void> {
    if (this.#timer !== undefined) return
    const options = { staleAfterMs: this.#staleMs }
    let r = await this.store.acquireLease(this.taskId, this.#claim, options)
    if (!r.acquired && (takeover || this.#holderDead(r.held))) {
      r = await this.store.acquireLease(this.taskId, this.#claim, {
        ...options,
        replace: r.held.token,
      })
    }
    if (!r.acquired) throw leasedError(this.taskId, r.held)
    this.#timer = setInterval(() => void this.#beat(), this.#beatMs)
    this.#timer.unref()
  }

  async #beat(): Promise<void> {
    const ok = await this.store
      .renewLease(this.taskId, this.#claim.token, this.live())
      .catch(() => true)
    if (ok) {
      if (this.#timer !== undefined) await this.onBeat(this.#claim.token).catch(() => undefined)
      return
    }
    if (this.#timer === undefined) return
    clearInterval(this.#timer)
    this.#timer = undefined
    this.#lost = true
    const error = new PgferryError(
      'PGFERRY_TASK_LEASE_LOST',
      `task ${this.taskId} was taken over by another process; this one stops`,
      { fix: 'only one process may run a task: let the other one run it' },
    )
    this.emit('warning', { taskId: this.taskId, code: error.code, message: error.message })
    this.onLost(error)
  }

  #holderDead(held: TaskLease): boolean {
    return holderGone(held)
  }
}

/** A holder that ran on this host and whose process is gone (killed) cannot beat again. */
export function holderGone(held: TaskLease): boolean {
  if (held.host !== os.hostname() || held.pid === process.pid) return false
  try {
    process.kill(held.pid, 0)
    return false
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
}

/** Whether `held` belongs to a process that runs the task now: beating, and not known dead. */
export function leaseLive(
  held: TaskLease,
  staleAfterMs = DEFAULT_LEASE_STALE_MS,
  now = Date.now(),
): boolean {
  return now - held.beatAt.getTime() <= staleAfterMs && !holderGone(held)
}

/** The refusal a second runner gets: who runs the task, since when, and what to do. */
export function leasedError(taskId: string, held: TaskLease): PgferryError {
  const since = held.startedAt
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z')
  return new PgferryError(
    'PGFERRY_TASK_LEASED',
    `task ${taskId} is being run by pid ${held.pid} on host ${held.host} since ${since} (last heartbeat ${held.beatAt.toISOString()})`,
    {
      fix: `stop it (Ctrl-C) first, or pauseTask('${taskId}', { target }) from here; pass takeover: true if that process is gone`,
      cliFix: `stop it (Ctrl-C) first, or pgferry pause ${taskId} from here; pass --takeover if that process is gone`,
    },
  )
}
