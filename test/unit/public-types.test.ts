/**
 * The public types name no class of the `pg` package (issue 12): a stage's connection is the
 * structural StageClient, so a `pg` release cannot change pgferry's API. Read from the committed
 * API report, which `npm run api:check` keeps equal to the build.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, expectTypeOf, it } from 'vitest'
import type pg from 'pg'
import type { StageClient } from '../../src/index.js'

describe('public types', () => {
  it('the API report imports nothing from pg and names no pg type', () => {
    const report = readFileSync('etc/pgferry.api.md', 'utf8')
    expect(report).toContain('export interface StageClient')
    expect(report).not.toMatch(/from 'pg'/)
    expect(report).not.toMatch(/\bpg\.[A-Z]/)
  })

  it('every exported symbol and member is documented (issue 12: 0 "(undocumented)")', () => {
    const report = readFileSync('etc/pgferry.api.md', 'utf8')
    const undocumented = report
      .split('\n')
      .flatMap((line, i, lines) => (line.includes('(undocumented)') ? [lines[i + 1]?.trim()] : []))
    expect(undocumented).toEqual([])
  })

  it('a pg client is a StageClient, so the built-ins and a custom stage share one context', () => {
    expectTypeOf<pg.Client>().toMatchTypeOf<StageClient>()
  })
})
