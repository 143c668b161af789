/**
 * The coordinator's side of the job queue (issue 15): enqueue a job, follow it until a worker
 * finished it, and say which worker holds it (`worker:job`). One poll of every watched job's state
 * per interval, however many there are. A job that failed past its retries, or that someone else
 * cancelled (a newer run of the coordinator), rejects; so does every job once the load is aborted.
 */
import { PgferryError } from '../errors.js'
import type { StageContext } from '../model/stage.js'
import type { QueuedJob, QueuedJobOutput, WorkerIdentity } from '../model/workers.js'
import type { JobQueue, JobState } from '../queue/job-queue.js'

/** How often the coordinator reads its jobs' states. */
const POLL_MS = 250

interface Watched {
  readonly job: QueuedJob
  readonly name: string
  readonly onClaimed: ((worker: WorkerIdentity) => void) | undefined
  claimedBy: string | undefined
  resolve(out: QueuedJobOutput): void
  reject(error: unknown): void
}

/** Follows a load's jobs on the queue. */
export class JobWatcher {
  readonly #ctx: StageContext
  readonly #queue: JobQueue
  readonly #timeoutSeconds: number
  readonly #watched = new Map<string, Watched>()
  #timer: NodeJS.Timeout | undefined
  #polling = false

  constructor(ctx: StageContext, queue: JobQueue, timeoutSeconds: number) {
    this.#ctx = ctx
    this.#queue = queue
    this.#timeoutSeconds = timeoutSeconds
  }

  /** Enqueue `job` and resolve with its worker's output once it finished there. */
  async run(
    job: QueuedJob,
    name: string,
    onClaimed?: (worker: WorkerIdentity) => void,
  ): Promise<QueuedJobOutput> {
    this.#ctx.signal.throwIfAborted()
    const [id] = await this.#queue.enqueue([job], this.#timeoutSeconds)
    if (id === undefined) throw new PgferryError('PGFERRY_INTERNAL', 'no job id')
    return new Promise<QueuedJobOutput>((resolve, reject) => {
      this.#watched.set(id, { job, name, onClaimed, claimedBy: undefined, resolve, reject })
      this.#timer ??= setInterval(() => void this.#poll(), POLL_MS)
    })
  }

  /** Stop following; what is still watched rejects with `reason`. */
  close(reason?: unknown): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    for (const w of this.#watched.values())
      w.reject(reason ?? new PgferryError('PGFERRY_INTERNAL', 'job watcher closed'))
    this.#watched.clear()
  }

  async #poll(): Promise<void> {
    if (this.#polling) return
    this.#polling = true
    try {
      if (this.#ctx.signal.aborted) {
        this.close(this.#ctx.signal.reason)
        return
      }
      const states = await this.#queue.states([...this.#watched.keys()])
      for (const [id, s] of states) {
        const w = this.#watched.get(id)
        if (w === undefined) continue
        const worker = s.output?.worker
        if (s.state === 'active' && worker !== undefined && worker !== w.claimedBy) {
          w.claimedBy = worker
          const who = identityOf(s.output)
          this.#event(w, who, 'claimed')
          w.onClaimed?.(who)
        } else if (s.state === 'completed') {
          this.#watched.delete(id)
          const out = { ...s.output, ...identityOf(s.output) }
          if (out.dropped !== undefined)
            w.reject(jobFailed(w, `dropped by ${out.worker}: ${out.dropped}`))
          else {
            this.#event(w, out, 'done')
            w.resolve(out)
          }
        } else if (s.state === 'failed' || s.state === 'cancelled') {
          this.#watched.delete(id)
          w.reject(jobFailed(w, failureOf(s.output) ?? s.state))
        }
      }
    } catch {
      // the queue database is unreachable for a moment: the next poll tries again
    } finally {
      this.#polling = false
      if (this.#watched.size === 0 && this.#timer !== undefined) {
        clearInterval(this.#timer)
        this.#timer = undefined
      }
    }
  }

  #event(w: Watched, who: WorkerIdentity, state: 'claimed' | 'done'): void {
    this.#ctx.emit('worker:job', {
      taskId: this.#ctx.taskId,
      worker: who.worker,
      host: who.host,
      pid: who.pid,
      kind: w.job.kind,
      database: w.job.database,
      name: w.name,
      state,
    })
  }
}

function jobFailed(w: Watched, message: string): PgferryError {
  return new PgferryError('PGFERRY_QUEUE_JOB_FAILED', `${w.job.kind} ${w.name}: ${message}`, {
    retryable: true,
    fix: "see the workers' output for the cause; run the full load again: what finished is kept",
  })
}

/** The worker a job's output names (a field missing, as an older worker writes it: `?`, 0). */
function identityOf(output: JobState['output']): WorkerIdentity {
  return {
    worker: typeof output?.worker === 'string' ? output.worker : '?',
    host: typeof output?.host === 'string' ? output.host : '?',
    pid: typeof output?.pid === 'number' ? output.pid : 0,
  }
}

/** The message a failed job carries: the worker's (`{ message }`) or pg-boss's (`{ value: … }`). */
function failureOf(output: unknown): string | undefined {
  const o = output as { message?: unknown; value?: { message?: unknown } } | null
  const m = o?.message ?? o?.value?.message
  return typeof m === 'string' ? m : undefined
}
