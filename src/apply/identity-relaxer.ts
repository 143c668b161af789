/**
 * GENERATED ALWAYS identity columns relaxed to BY DEFAULT for one apply transaction.
 *
 * An UPDATE may set such a column only to DEFAULT, yet when the source changed it (`SET n =
 * DEFAULT` there) its new value must be written. The column is relaxed inside the apply
 * transaction and put back to ALWAYS before that transaction commits, so every committed state of
 * the target, and whatever a crash leaves, has the source's definition; a rollback undoes it with
 * the rest. No record is needed, and `complete` has nothing to restore.
 */
import type pg from 'pg'
import { PgferryError, messageOf } from '../errors.js'
import type { RelationPlan } from './relation-plan.js'

/** The relaxed identities of one apply connection's open transaction. */
export class IdentityRelaxer {
  readonly #client: pg.Client
  /** By `RelationPlan.identityOwner`: the plan whose columns were relaxed. */
  readonly #relaxed = new Map<string, RelationPlan>()

  constructor(client: pg.Client) {
    this.#client = client
  }

  /** Relax `plan`'s ALWAYS identity columns for the open transaction (once per table). */
  async relax(plan: RelationPlan): Promise<void> {
    const owner = plan.identityOwner
    if (this.#relaxed.has(owner)) return
    await this.#alter(owner, plan, 'BY DEFAULT')
    this.#relaxed.set(owner, plan)
  }

  /** Put ALWAYS back on every column relaxed in this transaction; call before COMMIT. */
  async restore(): Promise<void> {
    for (const [owner, plan] of this.#relaxed) await this.#alter(owner, plan, 'ALWAYS')
    this.#relaxed.clear()
  }

  /** The transaction was rolled back, and its relaxations with it. */
  clear(): void {
    this.#relaxed.clear()
  }

  async #alter(owner: string, plan: RelationPlan, to: 'ALWAYS' | 'BY DEFAULT'): Promise<void> {
    const alter = plan.alwaysIdentity.map((c) => `ALTER COLUMN ${c} SET GENERATED ${to}`).join(', ')
    try {
      await this.#client.query(`ALTER TABLE ${owner} ${alter}`)
    } catch (error) {
      throw new PgferryError(
        'PGFERRY_APPLY_FAILED',
        `SET GENERATED ${to} of an identity column of ${plan.label} failed: ${messageOf(error)}`,
        { cause: error },
      )
    }
  }
}
