/**
 * `pgferry worker --queue URL [--concurrency N]` (issue 15): run full-load jobs of any task whose
 * `workers.queue` is that queue, until SIGINT/SIGTERM (running jobs finish first). Passwords:
 * the queue's in its URL; the source's and target's from PGFERRY_SOURCE_PASSWORD and
 * PGFERRY_TARGET_PASSWORD (never from the queue or the store).
 */
import { startWorker } from '../../index.js'
import type { Command } from '../command-context.js'
import { EXIT } from '../exit-codes.js'
import { PASSWORD_ENV } from '../cli-connection.js'
import { ShutdownSignals } from '../shutdown-signals.js'
import { UsageError } from '../usage-error.js'

/** `pgferry worker --queue URL [--concurrency N] [--json]`. */
export const workerCommand: Command = async ({ flags, out, secrets }) => {
  const queue = flags.required(
    'queue',
    "the job queue database the tasks' workers.queue names, e.g. --queue postgres://user@queue-host/queue",
  )
  if (!/^postgres(ql)?:\/\//i.test(queue))
    throw new UsageError('--queue must be a postgres:// URL', 'worker')
  const pw = new URL(queue).password
  secrets.add(pw === '' ? undefined : pw)
  secrets.add(pw === '' ? undefined : decodeURIComponent(pw))
  for (const name of Object.values(PASSWORD_ENV)) secrets.add(process.env[name])
  const given = flags.string('concurrency')
  const concurrency = given === undefined ? 2 : Number(given)
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)
    throw new UsageError('--concurrency must be an integer between 1 and 64', 'worker')
  const signals = new ShutdownSignals()
  try {
    const worker = await startWorker({ queue, concurrency })
    worker.on('worker:job', (e) => {
      if (out.json) out.jsonLine('worker:job', e)
      else out.line(`${e.worker} ${e.state} ${e.kind} ${e.database}:${e.name} (task ${e.taskId})`)
    })
    worker.on('warning', (e) => {
      if (out.json) out.jsonLine('warning', e)
      else out.line(`warning ${e.code}: ${e.message}`)
    })
    out.line(
      `worker ${worker.id} (pid ${worker.pid} on ${worker.host}) on the queue, ${concurrency} job(s) at a time`,
    )
    await signals.received()
    await worker.stop()
    return EXIT.OK
  } finally {
    signals.dispose()
  }
}
