// Child process of the torture loop: create (or reopen) a full+incremental task and run it, printing
// one line per event the parent picks its SIGKILL moment from; once syncing, wait for SIGUSR2 (the
// parent stopped its writer), then complete. Arg: JSON of TortureChildArgs.
import { createTask, openTask, type IncrementalSync, type Task } from '../../src/index.js'
import { passPrecheck } from './pass-precheck.js'

export interface TortureChildArgs {
  readonly mode: 'create' | 'resume'
  readonly id: string
  readonly sourceUrl: string
  readonly targetUrl: string
  readonly sdb: string
  readonly tdb: string
  readonly splitTablesLargerThan: number
  readonly bytesPerSecond: number
}

// before anything is printed: the parent sends it only after SYNCING
let go: () => void = () => undefined
const completeNow = new Promise<void>((r) => (go = r))
process.on('SIGUSR2', () => go())

const say = (line: string): void => {
  process.stdout.write(`${line.replace(/\n/g, ' ')}\n`)
}

const args = JSON.parse(process.argv[2] ?? '{}') as TortureChildArgs
let task: Task | undefined
try {
  if (args.mode === 'create') {
    task = await createTask({
      id: args.id,
      name: `torture ${args.sdb}`,
      source: args.sourceUrl,
      target: args.targetUrl,
      type: 'full+incremental',
      objects: { databases: { [args.sdb]: { as: args.tdb } } },
      parallelism: 2,
      splitTablesLargerThan: args.splitTablesLargerThan,
      throttle: { bytesPerSecond: args.bytesPerSecond },
    })
  } else {
    task = await openTask(args.id, { target: args.targetUrl })
  }
  const t = task
  t.on('stage:start', (e) => say(`EV stage:start ${e.stage}`))
  t.on('stage:done', (e) => say(`EV stage:done ${e.stage}`))
  t.on('schema:object', (e) => say(`EV schema:object ${e.phase} ${e.kind} ${e.name}`))
  t.on('chunk:progress', (e) => {
    if (e.done) say(`EV chunk ${e.table} ${e.chunk}`)
  })
  t.on('apply:batch', (e) => say(`EV apply:batch ${e.commitLsn} ${e.rows}`))
  t.on('warning', (e) => say(`EV warning ${e.code} ${e.message}`))
  say(`OPENED ${t.state}`)
  if (args.mode === 'create') await passPrecheck(t)
  // killed during complete: run() would finish the cutover at once; the parent's SIGUSR2 says when
  if (t.state !== 'completing') {
    const run = await t.run()
    const sync = run.results.incremental as IncrementalSync | undefined
    sync?.done.catch(async (e: unknown) => {
      say(`SYNCFAILED ${describe(e)}`)
      await t.close().catch(() => undefined)
      process.exit(1)
    })
  }
  say('SYNCING')
  await completeNow
  const result = await t.complete()
  say(`COMPLETED ${JSON.stringify(result)}`)
  await t.close()
  process.exit(0)
} catch (error) {
  say(`FAILED ${describe(error)}`)
  await task?.close().catch(() => undefined)
  process.exit(1)
}

function describe(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code
    return `${typeof code === 'string' ? `${code} ` : ''}${e.message}`
  }
  return String(e)
}
