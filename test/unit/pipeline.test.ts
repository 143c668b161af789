import { describe, expect, it } from 'vitest'
import { buildPipeline } from '../../src/stage/pipeline.js'
import type { Stage } from '../../src/model/stage.js'

const s = (name: string, after?: string): Stage => ({
  name,
  ...(after ? { after } : {}),
  run: async () => name,
})

describe('buildPipeline', () => {
  it('places custom stages after the stage they name, in declaration order, chains included', () => {
    const builtins = ['precheck', 'schema', 'fullload'].map((n) => s(n))
    const order = buildPipeline([
      ...builtins,
      s('a', 'schema'),
      s('b', 'schema'),
      s('c', 'a'),
      s('end'),
      s('first', 'precheck'),
    ]).map((x) => x.name)
    // c names a, so it runs right after a; b names schema and follows a's chain
    expect(order).toEqual(['precheck', 'first', 'schema', 'a', 'c', 'b', 'fullload', 'end'])
  })

  it('drops stages attached to a built-in the type does not run', () => {
    const order = buildPipeline([s('precheck'), s('schema'), s('x', 'fullload')]).map((x) => x.name)
    expect(order).toEqual(['precheck', 'schema'])
  })
})
