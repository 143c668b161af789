// Child process for the harness test: start a cluster, print its postmaster pid, then wait to be killed.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { startCluster, type Major } from './cluster.js'

const cluster = await startCluster({ major: Number(process.argv[2] ?? 16) as Major })
const pid = Number(
  readFileSync(path.join(cluster.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0],
)
console.log(`READY pid=${pid} dir=${cluster.dataDir}`)
setInterval(() => undefined, 1000)
