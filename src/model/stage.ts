/**
 * The Stage contract as pgferry's own stages see it: the public contract (stage-contract.ts) with
 * one difference, `connect` gives the full `pg.Client`, since the built-ins need what no public
 * type promises (COPY streams, the replication protocol, the socket). The runner builds one
 * context for every stage, built-in or custom (stage/stage-context.ts); a custom stage sees it
 * through the public type. Nothing public refers to this file.
 */
import type pg from 'pg'
import type {
  AnyStageOptions,
  ConnectOptions,
  Side,
  Stage as PublicStage,
  StageContext as PublicStageContext,
} from './stage-contract.js'

export type {
  AnyStageOptions,
  ConnectOptions,
  GateResult,
  Side,
  StageCallOptions,
  StageClient,
  StageKind,
  StageQueryResult,
  StageState,
} from './stage-contract.js'
export { STAGE_KINDS, STAGE_STATES } from './stage-contract.js'

/** A stage's context as a built-in stage receives it: `connect` gives the `pg.Client` itself. */
export interface StageContext<O extends object = AnyStageOptions> extends PublicStageContext<O> {
  /** A connected `pg` client; closed automatically when the stage ends unless `keep` is set. */
  connect(side: Side, options?: ConnectOptions): Promise<pg.Client>
}

/** A built-in stage: the public contract, run with the built-ins' context. */
export interface Stage<R = unknown, O extends object = AnyStageOptions> extends PublicStage<R, O> {
  /** Do the work. Must honour `ctx.signal`. The return value is kept for later stages. */
  run(ctx: StageContext<O>): Promise<R>
  /** Undo what the stage left on the servers (slots, publications) when the task is deleted. */
  cleanup?(ctx: StageContext<O>): Promise<void>
}
