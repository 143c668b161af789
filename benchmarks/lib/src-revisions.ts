/**
 * Node-only micro-benchmarks of one piece of `src/` across revisions (bench:merger,
 * bench:full-writer): each named revision's `src/` is exported once (`git archive`) into a
 * temporary directory under this checkout's temp/ (so its imports resolve to this node_modules),
 * and measured in a child process of its own; revisions are interleaved A B B A … (env ROUNDS
 * rounds, default 2). `.` stands for this checkout's working `src/`. The child prints one JSON line
 * of figures (seconds) last; each figure's median over the rounds is reported.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { fmt, median } from './stats.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

/** The environment variable that hands a child the `src/` directory it measures. */
export const CHILD_SRC = 'BENCH_CHILD_SRC'

/**
 * Measure `script` (a benchmark file that, given CHILD_SRC, prints its figures) for each revision
 * in `revs`, interleaved; prints `# round …` lines and one `RESULT name=<name> rev=… <figure>=<median>
 * <figure>_runs=… load1=…` line per revision (`extra` is added to each).
 */
export function measureRevisions(
  name: string,
  script: string,
  revs: string[],
  extra: string,
): void {
  if (revs.length === 0) revs.push('.')
  const rounds = Number(process.env.ROUNDS ?? 2)
  mkdirSync(path.join(root, 'temp'), { recursive: true })
  const tmp = mkdtempSync(path.join(root, 'temp', `bench-${name}-`))
  try {
    const srcOf = new Map<string, string>()
    for (const rev of revs) {
      if (rev === '.') {
        srcOf.set(rev, path.join(root, 'src'))
        continue
      }
      const dir = path.join(tmp, rev.replace(/[^A-Za-z0-9_.-]/g, '_'))
      mkdirSync(dir)
      const tar = execFileSync('git', ['-C', root, 'archive', rev, 'src'], { maxBuffer: 1 << 28 })
      execFileSync('tar', ['-x', '-C', dir], { input: tar })
      srcOf.set(rev, path.join(dir, 'src'))
    }
    const results = new Map<string, { figures: Map<string, number[]>; load: number[] }>()
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? revs : [...revs].reverse()
      for (const rev of order) {
        const out = spawnSync(process.execPath, ['--import', 'tsx', script], {
          env: { ...process.env, [CHILD_SRC]: srcOf.get(rev) },
          encoding: 'utf8',
          maxBuffer: 1 << 26,
        })
        if (out.status !== 0) throw new Error(`${rev}: ${out.stderr}`)
        const figure = JSON.parse(out.stdout.trim().split('\n').at(-1) ?? '{}') as Record<
          string,
          number
        >
        const entry = results.get(rev) ?? { figures: new Map<string, number[]>(), load: [] }
        for (const [k, v] of Object.entries(figure))
          entry.figures.set(k, [...(entry.figures.get(k) ?? []), v])
        entry.load.push(os.loadavg()[0] ?? 0)
        results.set(rev, entry)
        const shown = Object.entries(figure).map(([k, v]) => `${k}=${fmt(v)}`)
        console.log(`# round ${r + 1} ${rev}: ${shown.join(' ')}`)
      }
    }
    for (const [rev, e] of results) {
      const parts = [...e.figures].map(
        ([k, v]) => `${k}=${fmt(median(v))} ${k}_runs=${v.map((x) => fmt(x)).join('/')}`,
      )
      const loads = e.load.map((l) => l.toFixed(2)).join('/')
      console.log(`RESULT name=${name} rev=${rev} ${extra} ${parts.join(' ')} load1=${loads}`)
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

/** Process CPU seconds (user + system) spent in `f`. */
export function cpuSeconds(f: () => Promise<void>): () => Promise<number> {
  return async () => {
    const c0 = process.cpuUsage()
    await f()
    const c = process.cpuUsage(c0)
    return (c.user + c.system) / 1e6
  }
}

/** The parts of a revision's pgoutput-messages module that textTuple uses. */
interface TupleModule<T> {
  TupleData: new (buffer: Buffer, length: number, layout: number[]) => T
  TupleKind: { Text: number }
}

/** A tuple of ASCII text columns as pgoutput sends it, built with a revision's own TupleData. */
export function textTuple<T>(msgs: TupleModule<T>, cols: readonly string[]): T {
  const layout: number[] = []
  let off = 0
  for (const c of cols) {
    layout.push(msgs.TupleKind.Text, off, c.length)
    off += c.length
  }
  return new msgs.TupleData(Buffer.from(cols.join('')), cols.length, layout)
}
