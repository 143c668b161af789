import { describe, expect, it } from 'vitest'
import {
  DEFAULT_SPLIT_TABLES_LARGER_THAN,
  DEFAULT_SPLIT_TABLES_LARGER_THAN_MAX,
} from '../../src/model/resolved-config.js'
import { resolveConfig } from '../../src/task/resolve-config.js'
import { autoSplitSize } from '../../src/fullload/work-plan.js'
import { deserializeConfig, serializeConfig } from '../../src/task/stored-config.js'
import type { TaskConfig } from '../../src/model/task-config.js'

const base: TaskConfig = {
  name: 'load',
  source: 'postgres://a@src:5432/shop',
  target: 'postgres://b@tgt:5432/shop',
  type: 'full',
  store: 'memory',
}

describe('full load config', () => {
  it('defaults to the automatic split and no throttle, and keeps both through the store', () => {
    const { config } = resolveConfig(base)
    expect(config.splitTablesLargerThan).toBeUndefined()
    expect(DEFAULT_SPLIT_TABLES_LARGER_THAN).toBe(256 * 1024 ** 2)
    expect(config.throttle).toBeUndefined()
    const back = deserializeConfig(
      JSON.parse(JSON.stringify(serializeConfig(config))) as Record<string, unknown>,
      {},
    )
    expect(back.splitTablesLargerThan).toBeUndefined()
  })

  it("splits by the load when no size is named: a lane's share, between 256 MiB and 4 GiB", () => {
    expect(resolveConfig({ ...base, parallelism: 1 }).config.splitTablesLargerThan).toBeUndefined()
    const MiB = 1024 ** 2
    // 1.5 GB over 2 lanes: only a table over 750 MB is split
    expect(autoSplitSize(1500 * MiB, 2)).toBe(750 * MiB)
    // one lane: nothing under the whole load, and never chunks over 4 GiB
    expect(autoSplitSize(600 * MiB, 1)).toBe(600 * MiB)
    expect(autoSplitSize(100 * 1024 * MiB, 1)).toBe(DEFAULT_SPLIT_TABLES_LARGER_THAN_MAX)
    expect(DEFAULT_SPLIT_TABLES_LARGER_THAN_MAX).toBe(4 * 1024 ** 3)
    // a small load never makes chunks under 256 MiB
    expect(autoSplitSize(10 * MiB, 8)).toBe(DEFAULT_SPLIT_TABLES_LARGER_THAN)
    expect(
      resolveConfig({ ...base, splitTablesLargerThan: 1000 }).config.splitTablesLargerThan,
    ).toBe(1000)
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
