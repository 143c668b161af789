// The wider version matrix (npm run test:matrix): 12 → 18 and 14 → 16, beside the default 12 → 17
// and 16 → 16 files.
import { describe, it } from 'vitest'
import { schemaSuite } from '../fixtures/schema/schema-suite.js'

if (process.env.PGFERRY_MATRIX === 'full') {
  schemaSuite(12, 18)
  schemaSuite(14, 16)
} else {
  describe.skip('structure matrix (PGFERRY_MATRIX=full)', () => {
    it('12 → 18, 14 → 16', () => undefined)
  })
}
