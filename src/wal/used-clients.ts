import type pg from 'pg'
import { PgferryError } from '../errors.js'

/**
 * Clients that have run a logical START_REPLICATION. A walsender keeps its copy-done flags after
 * the first logical stream ends, so a second START_REPLICATION on the same connection is ended by
 * the server at once (measured on v12–v17); refuse it up front instead of returning a dead stream.
 */
const usedClients = new WeakSet<pg.Client>()

/** Refuse a client that has already run a stream (PGFERRY_WAL_PROTOCOL). */
export function refuseUsedClient(client: pg.Client): void {
  if (usedClients.has(client)) {
    throw new PgferryError(
      'PGFERRY_WAL_PROTOCOL',
      'this connection has already run a replication stream',
      {
        fix: 'open a new replication connection for each START_REPLICATION (PostgreSQL ends a second one at once)',
      },
    )
  }
}

/** `client` is about to run its stream. */
export function markClientUsed(client: pg.Client): void {
  usedClients.add(client)
}
