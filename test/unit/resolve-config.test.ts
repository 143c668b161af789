import { describe, expect, it } from 'vitest'
import { resolveConfig } from '../../src/task/resolve-config.js'
import { PgferryError } from '../../src/errors.js'
import type { TaskConfig } from '../../src/model/task-config.js'

const base: TaskConfig = {
  name: 'demo',
  source: 'postgres://alice:s3cr3t-pass@old:5432/shop',
  target: { host: 'new', user: 'admin', password: 'hunter2-target', database: 'shop' },
  type: 'full+incremental',
  store: 'memory',
}

function rejects(patch: Partial<Record<keyof TaskConfig, unknown>>): PgferryError {
  try {
    resolveConfig({ ...base, ...patch } as TaskConfig)
  } catch (e) {
    expect(e).toBeInstanceOf(PgferryError)
    return e as PgferryError
  }
  throw new Error('expected resolveConfig to throw')
}

describe('resolveConfig', () => {
  it('applies documented defaults and freezes the result', () => {
    const { config } = resolveConfig(base)
    expect(config.source).toMatchObject({
      host: 'old',
      port: 5432,
      user: 'alice',
      database: 'shop',
      hasPassword: true,
    })
    expect(config.target).toMatchObject({
      host: 'new',
      port: 5432,
      user: 'admin',
      database: 'shop',
    })
    expect(config.objects).toEqual({
      mode: 'selection',
      databases: [{ name: 'shop', as: 'shop', schemas: undefined }],
      includeDependencies: false,
    })
    expect(config.parallelism).toBeGreaterThanOrEqual(2)
    expect(config.startAt).toBeUndefined()
    expect(config.id).toMatch(/^[0-9a-f-]{36}$/)
    expect(Object.isFrozen(config)).toBe(true)
    expect(Object.isFrozen(config.source)).toBe(true)
    expect(() => {
      ;(config as { name: string }).name = 'x'
    }).toThrow(TypeError)
  })

  it('never keeps a password in the resolved object', () => {
    const { config } = resolveConfig(base)
    const text = JSON.stringify(config)
    expect(text).not.toContain('s3cr3t-pass')
    expect(text).not.toContain('hunter2-target')
  })

  it.each([
    [{ name: '' }, 'config.name', 'give the task a name'],
    [{ type: 'online' }, 'config.type', "'full+incremental'"],
    [{ source: undefined }, 'config.source', 'postgres://'],
    [{ source: 'mysql://x@y/z' }, 'config.source', 'postgres://'],
    [{ target: { host: 'h', port: 99999 } }, 'config.target.port', 'between 1 and 65535'],
    [{ parallelism: 0 }, 'config.parallelism', 'number of cores'],
    [{ startAt: 'next tuesday' }, 'config.startAt', 'ISO 8601'],
    [{ tags: { a: 1 } }, 'config.tags', 'payments'],
    [{ objects: { databases: {} } }, 'config.objects.databases', 'at least one database'],
    [
      { objects: { databases: { shop: { schemas: { public: { tablez: ['x'] } } } } } },
      'tablez',
      'tables',
    ],
    [
      { objects: { databases: { a: { as: 'x' }, b: { as: 'x' } } } },
      "maps to target database 'x' twice",
      'own target name',
    ],
    [
      { stages: [{ name: 'precheck', run: async (): Promise<number> => 1 }] },
      'already taken',
      'pick another name',
    ],
    [
      { stages: [{ name: 'mine', after: 'nowhere', run: async (): Promise<number> => 1 }] },
      'config.stages[0].after',
      'use one of',
    ],
    [
      { stages: [{ name: 'mine', kind: 'daemon', run: async (): Promise<number> => 1 }] },
      'config.stages[0].kind',
      'work, gate, stream, cutover',
    ],
    [
      { stages: [{ name: 'mine', state: 'completed', run: async (): Promise<number> => 1 }] },
      'config.stages[0].state',
      'running_structure',
    ],
    [{ store: 42 }, 'config.store', 'progress in the target'],
    [{ id: 'bad id!' }, 'config.id', 'random UUID'],
  ])('rejects %j naming the field and the fix', (patch, field, fix) => {
    const e = rejects(patch as Partial<Record<keyof TaskConfig, unknown>>)
    expect(e.code).toBe('PGFERRY_CONFIG_INVALID')
    expect(e.message).toContain(field)
    expect(e.fix).toContain(fix)
    expect(e.message + (e.fix ?? '')).not.toContain('s3cr3t-pass')
    expect(e.message + (e.fix ?? '')).not.toContain('hunter2-target')
  })

  it('does not echo a malformed URL that carries a password', () => {
    const e = rejects({ source: 'postgres://bob:pa55word-x@host:notaport/db' })
    expect(e.message).not.toContain('pa55word-x')
  })

  it('defaults the port of a URL that gives none', () => {
    const { config } = resolveConfig({ ...base, source: 'postgres://u@h/db' })
    expect(config.source).toMatchObject({ host: 'h', port: 5432, user: 'u', database: 'db' })
  })

  it('resolves selections with renames', () => {
    const { config } = resolveConfig({
      ...base,
      objects: {
        databases: {
          shop: {
            as: 'shop2',
            schemas: { public: true, sales: { tables: ['orders'], as: 'sales2' } },
          },
        },
        includeDependencies: true,
      },
    })
    const db = config.objects.databases?.[0]
    expect(db?.as).toBe('shop2')
    expect(db?.schemas?.map((s) => [s.name, s.as, s.whole, s.tables])).toEqual([
      ['public', 'public', true, undefined],
      ['sales', 'sales2', false, ['orders']],
    ])
    expect(config.objects.includeDependencies).toBe(true)
  })
})
