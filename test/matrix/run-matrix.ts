/**
 * `npm run test:matrix [-- 12-18 16-16 …]`: every source major into every target major at or above
 * it (FULL_PAIRS), or the pairs named. Each pair runs test/integration/matrix-pair.test.ts in its
 * own vitest process (PGFERRY_PAIR, JSON reporter), one pair at a time: two clusters per pair
 * already keep 2 cores busy. Prints a pass/fail table (pair × column, a column per top-level
 * describe) and the first lines of each failure; exits 1 if any pair failed or did not report.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, existsSync, createWriteStream } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { FULL_PAIRS } from '../harness/cluster.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const FILE = 'test/integration/matrix-pair.test.ts'

interface AssertionResult {
  readonly ancestorTitles: readonly string[]
  readonly title: string
  readonly status: string
  readonly failureMessages?: readonly string[]
}
interface JsonReport {
  readonly testResults: readonly {
    readonly message?: string
    readonly assertionResults: readonly AssertionResult[]
  }[]
}

type Cell = 'pass' | 'FAIL' | 'skip'
interface PairOutcome {
  readonly pair: string
  readonly cells: Map<string, Cell>
  readonly failures: string[]
  readonly log: string
}

const pairs = process.argv.slice(2).length
  ? process.argv.slice(2)
  : FULL_PAIRS.map(([s, t]) => `${s}-${t}`)
for (const p of pairs) {
  if (!/^\d+-\d+$/.test(p)) throw new Error(`"${p}" is not a pair: name pairs as 12-17`)
}
const out = mkdtempSync(path.join(tmpdir(), 'pgferry-matrix-'))
console.log(`version matrix: ${pairs.length} pairs; logs in ${out}`)

function runPair(pair: string): Promise<PairOutcome> {
  const json = path.join(out, `${pair}.json`)
  const log = path.join(out, `${pair}.log`)
  const logStream = createWriteStream(log)
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, 'node_modules/vitest/vitest.mjs'),
      'run',
      FILE,
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${json}`,
    ],
    { cwd: ROOT, env: { ...process.env, PGFERRY_PAIR: pair }, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  child.stdout.pipe(logStream, { end: false })
  child.stderr.pipe(logStream, { end: false })
  return new Promise((resolve) => {
    child.on('close', (code) => {
      logStream.end()
      const cells = new Map<string, Cell>()
      const failures: string[] = []
      if (existsSync(json)) {
        const report = JSON.parse(readFileSync(json, 'utf8')) as JsonReport
        for (const file of report.testResults) {
          if (file.assertionResults.length === 0 && file.message)
            failures.push(`(file) ${file.message.split('\n')[0]}`)
          for (const a of file.assertionResults) {
            const column = a.ancestorTitles[0] ?? a.title
            const cell: Cell =
              a.status === 'passed' ? 'pass' : a.status === 'failed' ? 'FAIL' : 'skip'
            // a column fails if any of its tests failed, passes if any passed and none failed
            const rank = { skip: 0, pass: 1, FAIL: 2 } as const
            if (rank[cell] >= rank[cells.get(column) ?? 'skip']) cells.set(column, cell)
            if (cell === 'FAIL') {
              const first = (a.failureMessages?.[0] ?? '').split('\n').slice(0, 3).join(' | ')
              failures.push(`${[...a.ancestorTitles, a.title].join(' › ')}: ${first}`)
            }
          }
        }
      }
      if (code !== 0 && failures.length === 0)
        failures.push(`vitest exited ${code} without a failed test; see ${log}`)
      resolve({ pair, cells, failures, log })
    })
  })
}

const outcomes: PairOutcome[] = []
for (const pair of pairs) {
  const o = await runPair(pair)
  outcomes.push(o)
  const cells = [...o.cells].map(([c, v]) => `${c} ${v}`).join(', ')
  console.log(`${pair.replace('-', ' → ')}: ${o.failures.length ? 'FAIL' : 'pass'} (${cells})`)
}

const columns = [...new Set(outcomes.flatMap((o) => [...o.cells.keys()]))]
const width = Math.max(...columns.map((c) => c.length), 4)
const row = (first: string, rest: string[]): string =>
  [first.padEnd(9), ...rest.map((c) => c.padEnd(width))].join(' | ')
console.log(`\n${row('pair', [...columns, 'result'])}`)
console.log(
  row(
    '-'.repeat(9),
    [...columns, 'result'].map(() => '-'.repeat(width)),
  ),
)
for (const o of outcomes) {
  const result = o.failures.length ? 'FAIL' : 'pass'
  console.log(
    row(o.pair.replace('-', ' → '), [...columns.map((c) => o.cells.get(c) ?? '—'), result]),
  )
}
const failed = outcomes.filter((o) => o.failures.length > 0)
for (const o of failed) {
  console.log(`\n${o.pair.replace('-', ' → ')} (log: ${o.log})`)
  for (const f of o.failures) console.log(`  ${f}`)
}
console.log(`\n${outcomes.length - failed.length}/${outcomes.length} pairs passed`)
process.exitCode = failed.length > 0 ? 1 : 0
