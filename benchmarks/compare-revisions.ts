/**
 * bench:compare — two revisions' benchmark figures side by side in one run, on the same machine
 * at the same time (issue 12: "bench:fullload, bench:decoder and bench:apply are within noise of
 * their figures before the change: run them side by side, old and new, in one run").
 *
 *   npm run bench:compare -- <old-rev> [<new-rev>=HEAD]
 *
 * Each revision is checked out in a temporary detached git worktree (so uncommitted changes count
 * for neither). Its node_modules is a symlink to this checkout's when its package-lock.json is the
 * same, else it gets its own `npm ci`. Each named benchmark (env BENCHES, comma-separated, default
 * `decoder,apply,fullload`) then runs as `npm run bench:<name>` in each worktree, the revisions
 * interleaved old, new, new, old, … (env COMPARE_ROUNDS runs of each, default 2), so neither
 * always runs first or alone on a quieter machine. The benches' other settings (ROWS, SCALE, …) pass through
 * from the environment. bench:decoder captures its stream once and both revisions decode that same
 * capture (PGFERRY_BENCH_CAPTURE), unless the caller set the variable.
 *
 * Every numeric field of every `RESULT name=<bench> …` line a bench prints is a figure (fields of
 * `case=…` lines are named `<case>.<field>`). One line per figure:
 *   RESULT name=compare bench=… figure=… old=… new=… ratio=… spread=… old_runs=… new_runs=… load1=…
 * old/new are the medians of the runs, ratio = new ÷ old (whether higher is better depends on the
 * figure: rows/s up, seconds down), spread the larger of the two revisions' (max − min) ÷ median
 * over their own runs (a ratio inside 1 ± spread is within noise), load1 the range of the 1-minute
 * load average at the runs' ends.
 * Each bench's output is echoed, prefixed with its revision and run.
 */
import { execFile, spawn } from 'node:child_process'
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { fmt, median } from './lib/stats.js'

const run = promisify(execFile)
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const BENCHES = (process.env.BENCHES ?? 'decoder,apply,fullload')
  .split(',')
  .map((s) => s.trim())
  .filter((s) => s !== '')
const ROUNDS = Number(process.env.COMPARE_ROUNDS ?? 2)

type Side = 'old' | 'new'
interface Revision {
  readonly side: Side
  readonly rev: string
  readonly sha: string
  readonly dir: string
}

const git = async (...args: string[]): Promise<string> =>
  (await run('git', args, { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 })).stdout.trim()

async function checkout(side: Side, rev: string, scratch: string): Promise<Revision> {
  const sha = await git('rev-parse', '--verify', `${rev}^{commit}`)
  const dir = path.join(scratch, `${side}-${sha.slice(0, 10)}`)
  await git('worktree', 'add', '--detach', dir, sha)
  const lock = (file: string): string => (existsSync(file) ? readFileSync(file, 'utf8') : '')
  if (lock(path.join(dir, 'package-lock.json')) === lock(path.join(ROOT, 'package-lock.json'))) {
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir')
  } else {
    console.log(`${side} ${rev}: package-lock.json differs from this checkout's: npm ci`)
    await run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, maxBuffer: 64 * 1024 * 1024 })
  }
  console.log(`${side}: ${rev} = ${sha}`)
  return { side, rev, sha, dir }
}

/** `npm run bench:<bench>` in the revision's worktree; its RESULT lines, output echoed. */
function runBench(r: Revision, bench: string, round: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', `bench:${bench}`], {
      cwd: r.dir,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const results: string[] = []
    const prefix = `[${r.side} ${bench} #${round}] `
    const echo = (stream: NodeJS.ReadableStream, out: NodeJS.WriteStream): void => {
      let rest = ''
      stream.setEncoding('utf8')
      stream.on('data', (chunk: string) => {
        const lines = (rest + chunk).split('\n')
        rest = lines.pop() ?? ''
        for (const line of lines) {
          out.write(`${prefix}${line}\n`)
          if (line.startsWith('RESULT ')) results.push(line)
        }
      })
      stream.on('end', () => {
        if (rest !== '') out.write(`${prefix}${rest}\n`)
        if (rest.startsWith('RESULT ')) results.push(rest)
      })
    }
    echo(child.stdout, process.stdout)
    echo(child.stderr, process.stderr)
    child.on('error', reject)
    child.on('close', (code) => {
      if (code === 0) resolve(results)
      else reject(new Error(`${prefix}exited with ${code}`))
    })
  })
}

/** The numeric fields of a bench's RESULT lines, `<case>.<field>` for lines with a case. */
export function figures(bench: string, lines: readonly string[]): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of lines) {
    const fields = new Map(
      line
        .split(/\s+/)
        .slice(1)
        .map((t) => t.split('=', 2) as [string, string?])
        .filter((kv): kv is [string, string] => kv[1] !== undefined),
    )
    if (fields.get('name') !== bench) continue
    const prefix = fields.has('case') ? `${fields.get('case')}.` : ''
    for (const [key, value] of fields) {
      if (key === 'name' || key === 'case' || !/^-?[0-9.]+(e[-+]?[0-9]+)?$/i.test(value)) continue
      out.set(prefix + key, Number(value))
    }
  }
  return out
}

/** old, new, new, old, old, new, …: `rounds` runs of each. */
function order(rounds: number): Side[] {
  const sides: Side[] = []
  for (let i = 0; sides.length < 2 * rounds; i++)
    sides.push(...(i % 2 === 0 ? (['old', 'new'] as const) : (['new', 'old'] as const)))
  return sides
}

async function main(): Promise<number> {
  const [oldRev, newRev = 'HEAD'] = process.argv.slice(2)
  if (oldRev === undefined) {
    console.error('usage: npm run bench:compare -- <old-rev> [<new-rev>=HEAD]')
    return 2
  }
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'pgferry-compare-'))
  // the test clusters' servers run as another user, who must reach the binaries through it
  chmodSync(scratch, 0o755)
  const revisions: Revision[] = []
  try {
    revisions.push(await checkout('old', oldRev, scratch))
    revisions.push(await checkout('new', newRev, scratch))
    const env = process.env
    if (env.PGFERRY_BENCH_CAPTURE === undefined)
      env.PGFERRY_BENCH_CAPTURE = path.join(scratch, 'decoder-capture.bin')
    console.log(
      `benches=${BENCHES.join(',')} rounds=${ROUNDS} order=${order(ROUNDS).join(',')} machine: nproc=${os.availableParallelism()} load1=${fmt(os.loadavg()[0] ?? NaN)}`,
    )
    let failed = false
    for (const bench of BENCHES) {
      const seen: Record<Side, Map<string, number>[]> = { old: [], new: [] }
      const loads: number[] = []
      let round = 0
      for (const side of order(ROUNDS)) {
        const r = side === 'old' ? revisions[0]! : revisions[1]!
        try {
          seen[side].push(figures(bench, await runBench(r, bench, ++round)))
        } catch (error) {
          console.error(error instanceof Error ? error.message : error)
          failed = true
        }
        loads.push(os.loadavg()[0] ?? NaN)
      }
      const names = new Set([...seen.old, ...seen.new].flatMap((m) => [...m.keys()]))
      const load = `${fmt(Math.min(...loads))}-${fmt(Math.max(...loads))}`
      for (const name of names) {
        const values = (side: Side): number[] =>
          seen[side].map((m) => m.get(name)).filter((x): x is number => x !== undefined)
        const o = median(values('old'))
        const n = median(values('new'))
        const num = (x: number): string =>
          Number.isFinite(x) ? String(Number(x.toPrecision(6))) : 'nan'
        const runs = (side: Side): string => values(side).map(num).join('/') || 'none'
        // what "within noise" is judged against: how far the runs of one revision spread
        const spread = (side: Side): number => {
          const v = values(side)
          // one run has no spread to speak of (not 0)
          return v.length < 2 ? NaN : (Math.max(...v) - Math.min(...v)) / median(v)
        }
        console.log(
          `RESULT name=compare bench=${bench} figure=${name} old=${num(o)} new=${num(n)} ratio=${fmt(n / o, 3)} spread=${fmt(Math.max(spread('old'), spread('new')), 3)} old_runs=${runs('old')} new_runs=${runs('new')} old_rev=${revisions[0]!.sha.slice(0, 10)} new_rev=${revisions[1]!.sha.slice(0, 10)} load1=${load}`,
        )
      }
    }
    return failed ? 1 : 0
  } finally {
    for (const r of revisions) {
      // the symlink first, so that nothing can delete through it into this checkout's modules; a
      // revision with another lock file has its own node_modules directory, removed whole
      const modules = path.join(r.dir, 'node_modules')
      const own = existsSync(modules) && !lstatSync(modules).isSymbolicLink()
      rmSync(modules, { force: true, recursive: own })
      await git('worktree', 'remove', '--force', r.dir).catch((e: unknown) => console.error(e))
    }
    await git('worktree', 'prune').catch(() => undefined)
    rmSync(scratch, { recursive: true, force: true })
  }
}

process.exitCode = await main()
