/**
 * bench:merger — Node's CPU seconds in ChangeMerger (src/apply/change-merger.ts) for one bulk
 * transaction: 1M key-kept UPDATEs of distinct keys of a pgbench_accounts-like row, in front of a
 * writer that does nothing, so the figure is the merger's own cost (issue 11: Node's CPU per row
 * is what leaves the walsender short of a core on 2 cores). No server is involved.
 *
 *   npm run bench:merger -- [<rev> …]    (default: this checkout's src only)
 *
 * Revisions are measured as lib/src-revisions.ts says (interleaved A B B A …, env ROUNDS, default
 * 2), each child running REPS (default 3) passes and reporting its median. One line per revision:
 *   RESULT name=merger rev=… rows=… cpu_s=<median over rounds> cpu_s_runs=… gen_s=… gen_s_runs=… load1=…
 * where gen_s is the generation-only cost (making the messages, with no merger), which cpu_s
 * includes.
 */
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type * as MergerModule from '../src/apply/change-merger.js'
import type * as MessagesModule from '../src/wal/pgoutput-messages.js'
import { CHILD_SRC, cpuSeconds, measureRevisions, textTuple } from './lib/src-revisions.js'
import { median } from './lib/stats.js'

const ROWS = Number(process.env.ROWS ?? 1_000_000)

/** One child: import the merger from `srcDir`, time REPS passes, print the median CPU seconds. */
async function child(srcDir: string): Promise<void> {
  const reps = Number(process.env.REPS ?? 3)
  const url = (p: string): string => pathToFileURL(path.join(srcDir, p)).href
  const { ChangeMerger } = (await import(url('apply/change-merger.ts'))) as typeof MergerModule
  const msgs = (await import(url('wal/pgoutput-messages.ts'))) as typeof MessagesModule
  const plan = {
    keys: [0],
    written: [0, 1, 2, 3],
    columns: ['aid', 'bid', 'abalance', 'filler'],
    relation: { replicaIdentity: 'd' },
    isKey: (i: number) => i === 0,
    orderMatters: () => false,
  }
  const none = (): Promise<void> => Promise.resolve()
  const writer = { insert: none, update: none, flush: none, settle: none, discard: () => {} }
  const filler = ''.padEnd(84)
  const tuple = (id: number): InstanceType<typeof msgs.TupleData> => {
    const cols = [String(id), String(1 + Math.floor(id / 100_000)), String(id % 7), filler]
    return textTuple(msgs, cols)
  }
  const merged = cpuSeconds(async () => {
    // the benchmark's stand-ins carry only what the merger reads
    const m = new ChangeMerger(writer as never)
    m.register(plan as never, false)
    for (let i = 1; i <= ROWS; i++) {
      const message = { type: msgs.MessageType.Update, relation: plan.relation, newTuple: tuple(i) }
      const p = m.update(plan as never, message as never)
      if (p !== undefined) await p
    }
    await m.flush()
  })
  const generated = cpuSeconds(async () => {
    let bytes = 0
    for (let i = 1; i <= ROWS; i++) bytes += tuple(i).buffer.length
    if (bytes === 0) throw new Error('no rows')
  })
  const runs: number[] = []
  const gen: number[] = []
  for (let r = 0; r < reps; r++) {
    runs.push(await merged())
    gen.push(await generated())
  }
  console.log(JSON.stringify({ cpu_s: median(runs), gen_s: median(gen) }))
}

const childSrc = process.env[CHILD_SRC]
if (childSrc !== undefined) await child(childSrc)
else
  measureRevisions('merger', fileURLToPath(import.meta.url), process.argv.slice(2), `rows=${ROWS}`)
