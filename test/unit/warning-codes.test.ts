/**
 * Warning codes share the error codes' registry and naming (issue 14): every code a built-in stage
 * passes to `warn` is a key of WARNING_CODES, `PGFERRY_<AREA>_<WHAT>`. Read from the sources, so a
 * new free-string warning fails here.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { WARNING_CODES } from '../../src/errors.js'

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(path.join(dir, e.name))
      : e.name.endsWith('.ts')
        ? [path.join(dir, e.name)]
        : [],
  )
}

describe('warning codes', () => {
  it('every warn(code, …) in src names a registered PGFERRY_ code', () => {
    const used = new Set<string>()
    for (const file of sources('src')) {
      const text = readFileSync(file, 'utf8')
      for (const m of text.matchAll(/\bwarn\(\s*'([^']+)'/g)) used.add(m[1] as string)
    }
    expect(used.size).toBeGreaterThan(10)
    const unregistered = [...used].filter((c) => !(c in WARNING_CODES))
    expect(unregistered).toEqual([])
    for (const c of Object.keys(WARNING_CODES)) expect(c).toMatch(/^PGFERRY_[A-Z]+_[A-Z_]+$/)
  })
})
