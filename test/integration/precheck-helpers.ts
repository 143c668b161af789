/**
 * Shared by the precheck integration tests: run a precheck for a task built from a config, execute
 * an item's fixes on the right server and database as the superuser, look items up.
 */
import { expect } from 'vitest'
import {
  createTask,
  type PrecheckItem,
  type PrecheckReport,
  type TaskConfig,
} from '../../src/index.js'
import type { PrecheckOptions } from '../../src/precheck/precheck-report.js'
import type { Cluster } from '../harness/cluster.js'

export async function runPrecheck(
  config: Omit<TaskConfig, 'name' | 'store'>,
  options: PrecheckOptions = {},
): Promise<PrecheckReport> {
  const task = await createTask({ name: 'precheck test', store: 'memory', ...config })
  try {
    return await task.precheck(options)
  } finally {
    await task.close()
  }
}

export function item(report: PrecheckReport, id: string): PrecheckItem {
  const found = report.items.find((i) => i.id === id)
  if (found === undefined)
    throw new Error(`no item ${id} in ${report.items.map((i) => i.id).join(', ')}`)
  return found
}

/** Run every fix of an item on its server/database as the superuser; returns how many ran. */
export async function applyFixes(
  it: PrecheckItem,
  servers: { source: Cluster; target: Cluster },
): Promise<number> {
  expect(it.fixes?.length ?? 0).toBeGreaterThan(0)
  for (const f of it.fixes ?? []) {
    expect(it.fix).toContain(f.sql)
    await servers[f.side].query(f.sql, [], f.database ?? 'postgres')
  }
  return it.fixes?.length ?? 0
}

/** Wait until a new session on `cluster` sees `name = value` (after pg_reload_conf). */
export async function waitForSetting(cluster: Cluster, name: string, value: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const r = await cluster.query<{ v: string }>(`SELECT current_setting($1) AS v`, [name])
    if (r.rows[0]?.v === value) return
    await new Promise((res) => setTimeout(res, 25))
  }
  throw new Error(`${name} never became ${value}`)
}
