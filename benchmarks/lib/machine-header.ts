/** The lines every benchmark result starts with: which machine, which servers, when. */
import os from 'node:os'
import type { Cluster } from '../../test/harness/cluster.js'

export async function machineHeader(clusters: Record<string, Cluster>): Promise<string[]> {
  const lines = [
    `date: ${new Date().toISOString()}`,
    `machine: nproc=${os.availableParallelism()} cpu="${os.cpus()[0]?.model ?? '?'}" mem_gb=${(os.totalmem() / 2 ** 30).toFixed(1)} load1=${os.loadavg()[0]?.toFixed(2)} node=${process.version}`,
  ]
  for (const [role, c] of Object.entries(clusters)) {
    const r = await c.query<{ v: string }>(`SELECT version() AS v`)
    lines.push(`${role}: ${r.rows[0]?.v ?? '?'}`)
  }
  return lines
}
