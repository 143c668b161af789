/**
 * Every progress kind pgferry's own stages keep in the store, in one list, with what each key
 * names: a newcomer sees what a task's progress is made of, and two stages cannot pick the same
 * string by accident. The strings are stored data (PgStore's `progress.kind`): never rename one.
 * A custom stage keeps its own kinds; the store contract still takes any string.
 */
export const PROGRESS_KINDS = {
  /** A stage of the pipeline that finished; key: the stage's name; value: `{ doneAt }`. */
  stage: 'stage',
  /** A schema step done (roles, pre-data; post-data of a `structure` task); key: `<targetDb>\u001f<step key>`. */
  schemaDone: 'schema-done',
  /** The post-data plan of a target database, saved for after the data; key: the target database. */
  postDataPlan: 'postdata-plan',
  /** A post-data step done; key: `<targetDb>\u001f<step key>`. */
  postDataDone: 'postdata-done',
  /** A database's manifest: what the task migrates, resolved once (src/manifest/); key: the source database. */
  manifest: 'manifest',
  /** A database's load: its snapshot, slot and whether it is complete; key: the source database. */
  loadedDatabase: 'fullload-database',
  /** A table's load and its sync LSN; key: the source database and the table's oid. */
  loadedTable: 'fullload-table',
  /** The cutover; keys: `<db>/drained` (value: the fence LSN) and `<db>/done`. */
  complete: 'complete',
  /** An object pgferry created or changed on the source (slot, publication, replica identity). */
  sourceObject: 'source-object',
  /** A worker of the task's full load (issue 15): its identity, last beat and current jobs; key: the worker's id. */
  worker: 'worker',
  /**
   * A request that the process running the task stop as on Ctrl-C (`pgferry pause`); key: the
   * lease token of the holder it is meant for, so a later runner never acts on it.
   */
  pauseRequest: 'pause-request',
} as const

/**
 * A progress kind of pgferry's own stages.
 */
export type BuiltinProgressKind = (typeof PROGRESS_KINDS)[keyof typeof PROGRESS_KINDS]

/**
 * Store key of a done post-data step: `<targetDb>\u001f<key>`, as the structure stage writes its
 * own (ddl-step.ts says `\u0000`, which jsonb, the PostgreSQL store, rejects). Other separators
 * are accepted on read.
 */
export function postDataDoneKey(targetDb: string, key: string): string {
  return `${targetDb}\u001f${key}`
}

/** The step key of a stored done entry of `targetDb`, or undefined for another database. */
export function parsePostDataDoneKey(targetDb: string, stored: string): string | undefined {
  for (const sep of ['\u001f', '/', '\u0000']) {
    if (stored.startsWith(targetDb + sep)) return stored.slice(targetDb.length + 1)
  }
  return undefined
}
