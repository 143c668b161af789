/**
 * The guides in docs/ cannot drift from the code (issue 14): each list that mirrors a registry is
 * compared with it here, both ways — a precheck item, an error or warning code, or a state move
 * added without its line fails, and so does a line for one that no longer exists. Links between
 * README, docs and examples must resolve, and every example must be run by an integration test.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ERROR_CODES, PRECHECK_ITEM_IDS, TASK_TRANSITIONS, WARNING_CODES } from '../../src/index.js'
import { libraryFormLines } from './library-forms.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8')
const sorted = (xs: Iterable<string>): string[] => [...new Set(xs)].sort()

/** The part of `text` from the line `from` up to the line `to` (or the end). */
const section = (text: string, from: string, to?: string): string => {
  const start = text.indexOf(`\n${from}\n`)
  expect(start, `a '${from}' heading`).toBeGreaterThanOrEqual(0)
  const end = to === undefined ? -1 : text.indexOf(`\n${to}\n`, start + 1)
  return end === -1 ? text.slice(start) : text.slice(start, end)
}

/** First-column entries of the markdown table rows of `text`: `| \`x\` | …` → x. */
const tableKeys = (text: string, pattern: RegExp): string[] =>
  [...text.matchAll(/^\| `([^`]+)` +\|/gm)]
    .map((m) => m[1] as string)
    .filter((k) => pattern.test(k))

describe('docs/ against the code', () => {
  it('precheck.md has one row per precheck item, in report order', () => {
    const rows = tableKeys(read('docs/precheck.md'), /^(source|target|selection)\./)
    expect(rows).toEqual([...PRECHECK_ITEM_IDS])
  })

  it('troubleshooting.md has a section per error code and a row per warning code', () => {
    const text = read('docs/troubleshooting.md')
    const sections = [...text.matchAll(/^### `(PGFERRY_[A-Z_]+)`$/gm)].map((m) => m[1] as string)
    expect(sorted(sections)).toEqual(sorted(Object.keys(ERROR_CODES)))
    expect(sections.length).toBe(new Set(sections).size)
    const warnings = tableKeys(section(text, '## Warnings', '## Library callers'), /^PGFERRY_/)
    expect(sorted(warnings)).toEqual(sorted(Object.keys(WARNING_CODES)))
  })

  it("troubleshooting.md and the README's command-line part give fixes in CLI form only; library forms stay in their own section", () => {
    const text = read('docs/troubleshooting.md')
    const cut = text.indexOf('\n## Library callers\n')
    expect(cut).toBeGreaterThan(0)
    expect(libraryFormLines(text.slice(0, cut))).toEqual([])
    // the library callers' section is where those forms go (the scan does see them)
    expect(libraryFormLines(text.slice(cut)).length).toBeGreaterThan(5)
    const readme = read('README.md')
    expect(
      libraryFormLines(section(readme, '### Command line', '### One runner per task')),
    ).toEqual([])
  })

  it("lifecycle.md's diagram has exactly the moves of TASK_TRANSITIONS", () => {
    const text = read('docs/lifecycle.md')
    const diagram = text.slice(
      text.indexOf('```mermaid'),
      text.indexOf('```', text.indexOf('```mermaid') + 3),
    )
    const drawn = [...diagram.matchAll(/^\s*([a-z_]+) --> ([a-z_]+)/gm)].map(
      (m) => `${m[1]} → ${m[2]}`,
    )
    const allowed = Object.entries(TASK_TRANSITIONS).flatMap(([from, tos]) =>
      tos.map((to) => `${from} → ${to}`),
    )
    expect(sorted(drawn)).toEqual(sorted(allowed))
    expect(drawn.length).toBe(allowed.length)
  })

  it('every relative link in README and docs/ resolves, and README links every guide', () => {
    const docs = readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md'))
    for (const file of ['README.md', ...docs.map((d) => `docs/${d}`)]) {
      for (const m of read(file).matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        const target = m[1] as string
        if (/^[a-z]+:/.test(target)) continue
        expect(existsSync(path.join(ROOT, path.dirname(file), target)), `${file} → ${target}`).toBe(
          true,
        )
      }
    }
    const readme = read('README.md')
    for (const d of docs) expect(readme, `README links docs/${d}`).toContain(`(docs/${d})`)
  })

  it('every example is run by an integration test', () => {
    const tests = readdirSync(path.join(ROOT, 'test/integration'))
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => read(`test/integration/${f}`))
      .join('\n')
    const entries = readdirSync(path.join(ROOT, 'examples'), { withFileTypes: true }).map((e) =>
      e.isDirectory() ? `examples/${e.name}/main.ts` : `examples/${e.name}`,
    )
    for (const entry of entries) {
      // the demo is run as `npm run demo` (fresh-clone.test.ts)
      const named = entry === 'examples/demo.ts' ? "'demo'" : `'${entry}'`
      expect(tests, `${entry} is run by a test`).toContain(named)
    }
  })
})
