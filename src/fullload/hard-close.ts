/**
 * Closing a connection at once, mid-query. `client.end()` waits for the server to read a
 * Terminate message, which a backend busy streaming COPY data does not do promptly; destroying the
 * socket makes the source backend stop its COPY and the target backend roll back its transaction.
 */
import type pg from 'pg'

/** Destroy the client's socket; the pending query (if any) fails. */
export function hardClose(client: pg.Client): void {
  const stream = (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection
    ?.stream
  stream?.destroy()
  client.end().catch(() => undefined)
}
