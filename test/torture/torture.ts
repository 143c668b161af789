/**
 * `npm run test:torture`: the random SIGKILL loop of issue 10. Each seed kills pgferry at a seeded
 * point of a seeded stage while the source keeps changing, resumes, completes and proves equality
 * row by row (test/harness/torture-seed.ts). One line per seed, a summary, exit 1 on any loss,
 * doubling, difference or error.
 *
 *   npm run test:torture                 3 seeds (1..3)
 *   npm run test:torture SEEDS=50        seeds 1..50 (or env SEEDS=50)
 *   npm run test:torture SEED=7          replay seed 7 alone
 *   FROM=20 SEEDS=10                     seeds 20..29
 *   PAIR=12:17                           source and target majors (default 16:16)
 *   SCALE=2                              twice the rows per table
 *   TRUNCATE=0                           no TRUNCATE in the writer (what else fails behind a TRUNCATE bug)
 *   VERBOSE=1 (progress) or 2 (every line the pgferry children print)
 */
import { MAJORS, startPair, sweepStaleClusters, type Major } from '../harness/cluster.js'
import { formatSeed, runSeed, seedPassed, type SeedResult } from '../harness/torture-seed.js'

// `npm run test:torture SEEDS=50` passes SEEDS=50 as an argument, not as the environment
const settings: Record<string, string | undefined> = { ...process.env }
for (const arg of process.argv.slice(2)) {
  const m = /^([A-Z]+)=(.*)$/.exec(arg)
  if (m) settings[m[1] as string] = m[2]
}
const int = (name: string, fallback: number): number => {
  const v = settings[name]
  if (v === undefined || v === '') return fallback
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got ${v}`)
  return n
}
const seeds: number[] =
  settings.SEED !== undefined && settings.SEED !== ''
    ? [int('SEED', 1)]
    : Array.from({ length: int('SEEDS', 3) }, (_, i) => int('FROM', 1) + i)
const [sourceMajor, targetMajor] = (settings.PAIR ?? '16:16').split(':').map(Number) as [
  number,
  number,
]
for (const m of [sourceMajor, targetMajor]) {
  if (!(MAJORS as readonly number[]).includes(m))
    throw new Error(`PAIR majors must be among ${MAJORS.join(', ')}`)
}
const scale = Number(settings.SCALE ?? '1')

sweepStaleClusters()
const pair = await startPair(sourceMajor as Major, targetMajor as Major)
const results: SeedResult[] = []
const started = Date.now()
try {
  console.log(
    `torture: ${seeds.length} seeds (${seeds[0]}..${seeds.at(-1)}), ${sourceMajor} -> ${targetMajor}`,
  )
  for (const seed of seeds) {
    const r = await runSeed(pair, seed, {
      scale,
      truncate: settings.TRUNCATE !== '0',
      ...(settings.VERBOSE ? { log: (l: string) => console.log(`  . ${l}`) } : {}),
      ...(settings.VERBOSE === '2' ? { echo: (l: string) => console.log(`  | ${l}`) } : {}),
    })
    results.push(r)
    console.log(formatSeed(r))
  }
} finally {
  await pair.stop()
}
const sum = (f: (r: SeedResult) => number): number => results.reduce((a, r) => a + f(r), 0)
const errors = results.filter((r) => r.error !== undefined).length
const failed = results.filter((r) => !seedPassed(r)).map((r) => r.seed)
console.log(
  `torture: ${results.length} seeds, ${sum((r) => r.lost)} lost, ${sum((r) => r.doubled)} doubled, ` +
    `${sum((r) => r.changed)} changed, ${sum((r) => r.sequences.length)} sequences differ, ${errors} errors` +
    ` (${Math.round((Date.now() - started) / 1000)} s)${failed.length > 0 ? `; failed seeds: ${failed.join(' ')}` : ''}`,
)
process.exit(failed.length > 0 ? 1 : 0)
