import { describe, expect, it } from 'vitest'
import {
  DEFAULT_SPLIT_TABLES_LARGER_THAN,
  DEFAULT_SPLIT_TABLES_LARGER_THAN_ONE_LANE,
  resolveConfig,
} from '../../src/task/resolve-config.js'
import { deserializeConfig, serializeConfig } from '../../src/task/stored-config.js'
import type { TaskConfig } from '../../src/task/task-config.js'

const base: TaskConfig = {
  name: 'load',
  source: 'postgres://a@src:5432/shop',
  target: 'postgres://b@tgt:5432/shop',
  type: 'full',
  store: 'memory',
}

describe('full load config', () => {
  it('defaults to 256 MiB chunks and no throttle', () => {
    const { config } = resolveConfig(base)
    expect(config.splitTablesLargerThan).toBe(DEFAULT_SPLIT_TABLES_LARGER_THAN)
    expect(DEFAULT_SPLIT_TABLES_LARGER_THAN).toBe(256 * 1024 ** 2)
    expect(config.throttle).toBeUndefined()
  })

  it('with one lane, splits only tables over 4 GiB unless told otherwise', () => {
    const one = resolveConfig({ ...base, parallelism: 1 }).config
    expect(one.splitTablesLargerThan).toBe(DEFAULT_SPLIT_TABLES_LARGER_THAN_ONE_LANE)
    expect(DEFAULT_SPLIT_TABLES_LARGER_THAN_ONE_LANE).toBe(4 * 1024 ** 3)
    expect(
      resolveConfig({ ...base, parallelism: 1, splitTablesLargerThan: 1000 }).config
        .splitTablesLargerThan,
    ).toBe(1000)
    expect(resolveConfig({ ...base, parallelism: 2 }).config.splitTablesLargerThan).toBe(
      DEFAULT_SPLIT_TABLES_LARGER_THAN,
    )
  })

  it('keeps a throttle and a split size, frozen, and survives the store round trip', () => {
    const { config } = resolveConfig({
      ...base,
      throttle: { bytesPerSecond: 5e6, rowsPerSecond: 1000 },
      splitTablesLargerThan: 0,
    })
    expect(config.throttle).toEqual({ bytesPerSecond: 5e6, rowsPerSecond: 1000 })
    expect(Object.isFrozen(config.throttle)).toBe(true)
    expect(config.splitTablesLargerThan).toBe(0)
    const back = deserializeConfig(
      JSON.parse(JSON.stringify(serializeConfig(config))) as Record<string, unknown>,
      {},
    )
    expect(back.throttle).toEqual(config.throttle)
    expect(back.splitTablesLargerThan).toBe(0)
  })

  it('rejects bad values naming the field', () => {
    const bad: [Partial<TaskConfig>, string][] = [
      [{ splitTablesLargerThan: -1 }, 'config.splitTablesLargerThan'],
      [{ throttle: { bytesPerSecond: 0 } }, 'config.throttle.bytesPerSecond'],
      [{ throttle: { rowsPerSecond: Number.NaN } }, 'config.throttle.rowsPerSecond'],
      [{ throttle: { mbps: 3 } as never }, 'config.throttle.mbps'],
    ]
    for (const [patch, field] of bad) {
      expect(() => resolveConfig({ ...base, ...patch })).toThrow(field)
    }
  })
})
