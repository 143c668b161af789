/**
 * Every fix a CLI user sees names a CLI command or flag (issue 14). Errors and precheck items carry
 * their fix for library callers in `fix` and, where that names a library call or a config field,
 * their fix for a person at a terminal in `cliFix` (the CLI prints `cliFix ?? fix`). This walks
 * every string in src/ outside cli/ with the TypeScript parser: a text that names a library call
 * must either name a CLI form itself or sit in the `fix` of an object that also has a `cliFix`,
 * and no `cliFix` may name a library call. A new fix written for callers only fails here.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { CLI_FORM, LIBRARY_FORMS } from './library-forms.js'

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? e.name === 'cli'
        ? []
        : sources(path.join(dir, e.name))
      : e.name.endsWith('.ts')
        ? [path.join(dir, e.name)]
        : [],
  )
}

/** Files whose errors a CLI user cannot reach, with why. */
const NOT_REACHABLE: Readonly<Record<string, string>> = {
  'src/apply/add-tables.ts': 'addTables is a library option the CLI does not offer',
  'src/manifest/table-refs.ts': 'addTables is a library option the CLI does not offer',
  'src/apply/apply-options.ts': "the sync's tuning options are library-only",
}

interface Finding {
  readonly where: string
  readonly text: string
}

function literalText(node: ts.Node): string | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text
  // the literal parts only: the interpolated code is not text a user reads
  if (ts.isTemplateExpression(node))
    return node.head.text + node.templateSpans.map((s) => `\${…}${s.literal.text}`).join('')
  return undefined
}

/** The name of the property whose value contains `node`, and its object literal. */
function enclosingProperty(
  node: ts.Node,
): { name: string; object: ts.ObjectLiteralExpression } | undefined {
  for (let n: ts.Node | undefined = node; n !== undefined; n = n.parent) {
    if (ts.isPropertyAssignment(n) && ts.isObjectLiteralExpression(n.parent)) {
      return { name: n.name.getText(), object: n.parent }
    }
    if (ts.isVariableDeclaration(n) || ts.isFunctionLike(n)) return undefined
  }
  return undefined
}

function scan(file: string): { bare: Finding[]; libraryCliFix: Finding[]; cliFixes: number } {
  const text = readFileSync(file, 'utf8')
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const bare: Finding[] = []
  const libraryCliFix: Finding[] = []
  let cliFixes = 0
  const visit = (node: ts.Node): void => {
    const t = literalText(node)
    if (t !== undefined && !ts.isTemplateSpan(node.parent)) {
      const where = `${file}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}`
      const prop = enclosingProperty(node)
      if (prop?.name === 'cliFix') {
        cliFixes++
        if (LIBRARY_FORMS.some((re) => re.test(t))) libraryCliFix.push({ where, text: t })
      } else if (LIBRARY_FORMS.some((re) => re.test(t)) && !CLI_FORM.test(t)) {
        const paired =
          prop?.name === 'fix' &&
          prop.object.properties.some((p) => p.name !== undefined && p.name.getText() === 'cliFix')
        if (!paired) bare.push({ where, text: t })
      }
    }
    if (!ts.isTemplateExpression(node)) ts.forEachChild(node, visit)
  }
  visit(sf)
  return { bare, libraryCliFix, cliFixes }
}

describe('fixes a CLI user sees', () => {
  it('name a CLI command or flag: every library-call fix in src has a cliFix, and no cliFix names a library call', () => {
    const bare: Finding[] = []
    const libraryCliFix: Finding[] = []
    let cliFixes = 0
    for (const file of sources('src')) {
      if (NOT_REACHABLE[file] !== undefined) continue
      const r = scan(file)
      bare.push(...r.bare)
      libraryCliFix.push(...r.libraryCliFix)
      cliFixes += r.cliFixes
    }
    expect(bare.map((f) => `${f.where}: ${f.text}`)).toEqual([])
    expect(libraryCliFix.map((f) => `${f.where}: ${f.text}`)).toEqual([])
    expect(cliFixes).toBeGreaterThan(10)
  })

  it('the scan sees what it is meant to (library forms found, CLI forms recognised)', () => {
    expect(LIBRARY_FORMS.some((re) => re.test('run fullLoad(task) to the end first'))).toBe(true)
    expect(LIBRARY_FORMS.some((re) => re.test('set source.ssl = false'))).toBe(true)
    expect(LIBRARY_FORMS.some((re) => re.test('pass precheck({ targetFreeBytes })'))).toBe(true)
    expect(CLI_FORM.test('pass --target-free-bytes N')).toBe(true)
    expect(CLI_FORM.test('run pgferry resume ID')).toBe(true)
    expect(CLI_FORM.test('a -- b')).toBe(false)
    expect(CLI_FORM.test('pgferry sets REPLICA IDENTITY FULL')).toBe(false)
  })
})
