/**
 * A migration job that survives a restart: run it under a supervisor (systemd, a Kubernetes Job)
 * and kill it at any point — SIGKILL, a reboot, an OOM kill — then start it again: it finds its
 * task in the target's progress store by name and resumes it where it stopped (chunks that were
 * committed are not copied again; the sync streams from the last change applied; changes made on
 * the source meanwhile wait in the slot). The lease of a process that died on this host is taken
 * over at once; one on another host after it went stale (30 s without a heartbeat).
 *
 * SOURCE_URL=postgres://migrator:…@old:5432/shop TARGET_URL=postgres://admin:…@new:5432/postgres \
 *   npx tsx examples/resumable-job.ts [--complete]
 *
 * Without `--complete` the job keeps the target in sync until SIGINT/SIGTERM, which pause it
 * cleanly. Stop the application's writes, then run it with `--complete` to cut over: it resumes,
 * drains, verifies every row and exits 0 once the task is completed.
 */
import { createTask, listTasks, openTask, type IncrementalSync, type Task } from '../src/index.js' // in your code: from 'pgferry'

/** A required setting from the environment. */
function env(name: 'SOURCE_URL' | 'TARGET_URL'): string {
  const value = process.env[name]
  if (value) return value
  console.error('set SOURCE_URL (the database to migrate) and TARGET_URL (the target cluster)')
  process.exit(2)
}
const SOURCE_URL = env('SOURCE_URL')
const TARGET_URL = env('TARGET_URL')
const cutover = process.argv.includes('--complete')
const database = decodeURIComponent(new URL(SOURCE_URL).pathname.slice(1))
const name = `job: ${database}` // the job's identity across restarts

/** The job's unfinished task from an earlier start, reopened; else a new one. */
async function findOrCreate(): Promise<Task> {
  const earlier = (await listTasks({ target: TARGET_URL })).filter(
    (t) => t.name === name && t.state !== 'completed',
  )
  const last = earlier.at(-1)
  if (last !== undefined) {
    console.log(`resuming task ${last.id} (${last.state}, stage ${last.stage ?? 'none'})`)
    // passwords are never stored: the connections are given again
    return openTask(last.id, { target: TARGET_URL, source: SOURCE_URL })
  }
  const task = await createTask({
    name,
    source: SOURCE_URL,
    target: TARGET_URL,
    type: 'full+incremental',
    objects: { databases: { [database]: true } },
  })
  console.log(`created task ${task.id}`)
  return task
}

const task = await findOrCreate()
task.on('task:state', (e) => console.log(`state ${e.from} -> ${e.to}`))
task.on('table:copied', (e) => console.log(`copied ${e.table}: ${e.rows} rows`))
task.on('warning', (e) => console.log(`warning ${e.code}: ${e.message}`))

// SIGINT/SIGTERM: the running stage stops at a safe point and the task is paused, resumable
const stop = new AbortController()
let sync: IncrementalSync | undefined
const onSignal = (): void => {
  stop.abort()
  void sync?.stop()
}
process.once('SIGINT', onSignal).once('SIGTERM', onSignal)

try {
  // skips what an earlier start finished; finishes a cutover a crash interrupted
  const { state, results } = await task.run({ signal: stop.signal })
  if (state === 'incremental_sync') {
    sync = results.incremental as IncrementalSync
    if (cutover) {
      const r = await task.complete({ signal: stop.signal })
      console.log(`completed: ${r.tablesVerified} tables verified, slot and publication dropped`)
    } else {
      console.log('in sync; SIGTERM pauses, --complete cuts over after the writes stopped')
      await sync.done
    }
  }
  console.log(`task ${task.id} ${task.state}`)
} catch (error) {
  console.error(stop.signal.aborted ? `task ${task.id} paused; start the job again` : error)
  process.exitCode = stop.signal.aborted ? 0 : 1
} finally {
  await task.close()
}
