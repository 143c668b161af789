/**
 * Run a task's stages to the end the command asks for: `task.run()` (which skips stages already
 * done, so this also resumes), then, for full+incremental, either sync until SIGINT/SIGTERM (the
 * slot is kept; the task can be resumed or completed later) or complete once the sync caught up.
 * A pause request from another process (`pgferry pause`) stops it as a signal does.
 */
import type { CompleteResult, IncrementalSync, RunResult, Task } from '../index.js'
import type { CliOutput } from './cli-output.js'
import { completeAndReport } from './complete-and-report.js'
import { EXIT } from './exit-codes.js'
import { printCompleteResult } from './print-complete-result.js'
import { printPausedBy, reportStop, stopCode } from './report-stop.js'
import { printResumeHint } from './resume-hint.js'
import { ShutdownSignals } from './shutdown-signals.js'

/** Interval of the lag poll while waiting to complete. */
const CATCH_UP_POLL_MS = 1000
/** Samples in a row with no lag in seconds that count as caught up, when the WAL byte gap stays > 0 (other databases' WAL). */
const CAUGHT_UP_SAMPLES = 3

/** Options of {@link driveTask}. */
export interface DriveOptions {
  readonly completeAfterSync: boolean
  readonly out: CliOutput
  /** Take the task's lease from a holder that is gone (`--takeover`). */
  readonly takeover?: boolean
}

/** Run `task` as far as the command asks; resolves with the exit code. */
export async function driveTask(task: Task, options: DriveOptions): Promise<number> {
  const { out } = options
  const shutdown = new ShutdownSignals()
  try {
    let run: RunResult
    try {
      run = await task.run({ signal: shutdown.signal, takeover: options.takeover === true })
    } catch (error) {
      const stopped = await reportStop(task, shutdown, out)
      if (stopped === undefined) throw error
      return stopped
    }
    if (task.config.type !== 'full+incremental') {
      out.line(`task ${task.id} ${run.state}`)
      return EXIT.OK
    }
    // run() finished a cutover that a crash or failure had interrupted
    const completed = run.results.complete as CompleteResult | undefined
    if (completed !== undefined) {
      printCompleteResult(task, completed, out)
      return EXIT.OK
    }
    const sync = run.results.incremental as IncrementalSync
    let failure: unknown
    const ended = sync.done.then(
      () => 'stopped' as const,
      (error: unknown) => {
        failure = error
        return 'failed' as const
      },
    )
    if (options.completeAfterSync) {
      out.line('incremental sync running; completing once it has caught up')
      const caughtUp = await waitForCatchUp(sync, shutdown, ended)
      if (failure !== undefined) throw failure
      // a pause request ends the stream too: it is no catch-up to complete on
      const asked = stopCode(task, shutdown)
      if (!caughtUp || asked !== undefined)
        return await stopSync(task, sync, out, asked ?? EXIT.INTERRUPTED)
      out.line('sync caught up: completing (fence, drain, sequences, verify, drop slot)')
      return await completeAndReport(task, shutdown, out)
    }
    out.line(
      'incremental sync running; stop it with Ctrl-C (SIGINT) or SIGTERM, the task stays resumable',
    )
    const why = await Promise.race([shutdown.received().then(() => 'signal' as const), ended])
    if (why === 'failed') throw failure
    // Ctrl-C (or SIGTERM) ends the command like in every other stage: 130, the task resumable;
    // a pause request stopped the stream: 3
    return await stopSync(task, sync, out, stopCode(task, shutdown) ?? EXIT.OK)
  } finally {
    shutdown.dispose()
  }
}

/** Stop the stream (slot kept), say how to go on; resolves with `exitCode`. */
async function stopSync(
  task: Task,
  sync: IncrementalSync,
  out: CliOutput,
  exitCode: number,
): Promise<number> {
  out.clearStatus()
  printPausedBy(task, out)
  out.line('stopping the sync (the replication slot is kept)…')
  await sync.stop()
  out.line(`sync stopped: task ${task.id} is ${await task.refresh()}`)
  printResumeHint(task, out)
  return exitCode
}

/** Poll the lag until every database has caught up; false when a signal came first. */
async function waitForCatchUp(
  sync: IncrementalSync,
  shutdown: ShutdownSignals,
  ended: Promise<unknown>,
): Promise<boolean> {
  let quiet = 0
  for (;;) {
    const tick = new Promise((resolve) => setTimeout(resolve, CATCH_UP_POLL_MS))
    const why = await Promise.race([
      tick.then(() => 'tick' as const),
      shutdown.received().then(() => 'signal' as const),
      ended.then(() => 'ended' as const),
    ])
    if (why === 'signal') return false
    if (why === 'ended') return true // the failure, if any, is rethrown by the caller
    const lag = await sync.lag()
    if (lag.every((l) => l.lagBytes === 0n)) return true
    quiet = lag.every((l) => l.lagSeconds === 0) ? quiet + 1 : 0
    if (quiet >= CAUGHT_UP_SAMPLES) return true
  }
}
