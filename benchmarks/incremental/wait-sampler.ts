/**
 * WAITS=1: while a pgferry bulk step runs, sample `pg_stat_activity` on both servers every 50 ms
 * and print, per server, how the backends of the ferry database (target) and its walsender
 * (source) spent the samples: each `state/wait_event_type:wait_event` with its share. A profiling
 * aid (issue 11: find where the time goes); it costs a query per 50 ms per server, so the timed
 * figures of a run with it are not quoted.
 */
import type pg from 'pg'

const SQL = `SELECT coalesce(application_name, '') || ' ' || coalesce(backend_type, '') || ' ' ||
  coalesce(state, '-') || '/' || coalesce(wait_event_type || ':' || wait_event, 'cpu') AS k
  FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND (datname = $1 OR backend_type = 'walsender')
  AND (backend_type <> 'walsender' OR application_name LIKE 'pgferry%')`

/** Samples until `stop()`, which returns the summary lines. */
export class WaitSampler {
  readonly #counts = new Map<string, number>()
  #samples = 0
  #running = true
  readonly #loop: Promise<void>
  readonly #servers: readonly { name: string; client: pg.Client }[]

  /** Takes over `servers`' clients: `stop` ends them. */
  constructor(servers: readonly { name: string; client: pg.Client }[], db: string) {
    this.#servers = servers
    this.#loop = (async () => {
      while (this.#running) {
        this.#samples++
        for (const s of servers) {
          const r = await s.client.query<{ k: string }>(SQL, [db])
          for (const row of r.rows) {
            const k = `${s.name} ${row.k}`
            this.#counts.set(k, (this.#counts.get(k) ?? 0) + 1)
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    })()
  }

  async stop(): Promise<string[]> {
    this.#running = false
    await this.#loop
    await Promise.all(this.#servers.map((s) => s.client.end()))
    return [...this.#counts]
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `    waits ${k}: ${((100 * n) / this.#samples).toFixed(0)} %`)
  }
}
