/**
 * bench:merger — Node's CPU seconds in ChangeMerger (src/apply/change-merger.ts) for one bulk
 * transaction: 1M key-kept UPDATEs of distinct keys of a pgbench_accounts-like row, in front of a
 * writer that does nothing, so the figure is the merger's own cost (issue 11: Node's CPU per row
 * is what leaves the walsender short of a core on 2 cores). No server is involved.
 *
 *   npm run bench:merger -- [<rev> …]    (default: this checkout's src only)
 *
 * Each named revision's `src/` is exported once (`git archive`) into a temporary directory under
 * this checkout's temp/ (so its imports resolve to this node_modules), and measured in a child process of
 * its own; revisions are interleaved A B B A … (env ROUNDS rounds, default 2), each child running
 * REPS (default 3) passes and reporting its median. `.` stands for this checkout's working `src/`.
 * One line per revision:
 *   RESULT name=merger rev=… rows=… cpu_s=<median over rounds> runs_s=… load1=…
 * and the generation-only cost (making the messages, with no merger) on its own line, which the
 * figures above include.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type * as MergerModule from '../src/apply/change-merger.js'
import type * as MessagesModule from '../src/wal/pgoutput-messages.js'
import { fmt, median } from './lib/stats.js'

const ROWS = Number(process.env.ROWS ?? 1_000_000)
const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, '..')

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
    const layout: number[] = []
    let off = 0
    for (const c of cols) {
      layout.push(msgs.TupleKind.Text, off, c.length)
      off += c.length
    }
    return new msgs.TupleData(Buffer.from(cols.join('')), cols.length, layout)
  }
  const cpu = (f: () => Promise<void>) => async (): Promise<number> => {
    const c0 = process.cpuUsage()
    await f()
    const c = process.cpuUsage(c0)
    return (c.user + c.system) / 1e6
  }
  const merged = cpu(async () => {
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
  const generated = cpu(async () => {
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

function main(): void {
  const revs = process.argv.slice(2)
  if (revs.length === 0) revs.push('.')
  const rounds = Number(process.env.ROUNDS ?? 2)
  mkdirSync(path.join(root, 'temp'), { recursive: true })
  const tmp = mkdtempSync(path.join(root, 'temp', 'bench-merger-'))
  try {
    const srcOf = new Map<string, string>()
    for (const rev of revs) {
      if (rev === '.') {
        srcOf.set(rev, path.join(root, 'src'))
        continue
      }
      const dir = path.join(tmp, rev.replace(/[^A-Za-z0-9_.-]/g, '_'))
      mkdirSync(dir)
      const tar = execFileSync('git', ['-C', root, 'archive', rev, 'src'], {
        maxBuffer: 1 << 28,
      })
      execFileSync('tar', ['-x', '-C', dir], { input: tar })
      srcOf.set(rev, path.join(dir, 'src'))
    }
    const results = new Map<string, { cpu: number[]; gen: number[]; load: number[] }>()
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? revs : [...revs].reverse()
      for (const rev of order) {
        const out = spawnSync(
          process.execPath,
          ['--import', 'tsx', fileURLToPath(import.meta.url)],
          {
            env: { ...process.env, MERGER_CHILD_SRC: srcOf.get(rev) },
            encoding: 'utf8',
          },
        )
        if (out.status !== 0) throw new Error(`${rev}: ${out.stderr}`)
        const figure = JSON.parse(out.stdout.trim().split('\n').at(-1) ?? '{}') as {
          cpu_s: number
          gen_s: number
        }
        const entry = results.get(rev) ?? { cpu: [], gen: [], load: [] }
        entry.cpu.push(figure.cpu_s)
        entry.gen.push(figure.gen_s)
        entry.load.push(os.loadavg()[0] ?? 0)
        results.set(rev, entry)
        console.log(
          `# round ${r + 1} ${rev}: cpu_s=${fmt(figure.cpu_s)} gen_s=${fmt(figure.gen_s)}`,
        )
      }
    }
    for (const [rev, e] of results) {
      const loads = e.load.map((l) => l.toFixed(2)).join('/')
      console.log(
        `RESULT name=merger rev=${rev} rows=${ROWS} cpu_s=${fmt(median(e.cpu))} ` +
          `runs_s=${e.cpu.map((x) => fmt(x)).join('/')} gen_only_s=${fmt(median(e.gen))} load1=${loads}`,
      )
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

const childSrc = process.env.MERGER_CHILD_SRC
if (childSrc !== undefined) await child(childSrc)
else main()
