// A matrix as the netpol e2e suite prints it (truthtable.go): one table per party, and where they differ — a printable
// table a human can diff by eye (tests print it when a matrix is not what they expect).
import { compareTruthTables, printTruthTable } from '../policy/truthTable.ts'
import type { TruthTable } from '../policy/truthTable.ts'
import type { Reachability } from './reachability.ts'
import type { OpinionSource } from './wire.ts'

/** One party's opinions: "." allowed, "X" denied, "?" anything else (unknown, mixed, error, not probed). */
export function truthTable(reach: Reachability, by: OpinionSource): TruthTable {
  const values = new Map<string, Map<string, boolean>>()
  for (const cell of reach.cells.values()) {
    const verdict = cell.unprobed === undefined ? cell.opinions[by]?.verdict : undefined
    if (verdict !== 'allowed' && verdict !== 'denied') continue
    let row = values.get(cell.from)
    if (!row) values.set(cell.from, (row = new Map()))
    row.set(cell.to, verdict === 'allowed')
  }
  return { title: by, froms: reach.rows.map((r) => r.id), tos: reach.cols.map((c) => c.id), values }
}

/** Expected, observed, and their comparison ("." agree, "X" differ), as text. */
export function printReachability(reach: Reachability): string {
  const expected = truthTable(reach, 'expected')
  const observed = truthTable(reach, 'observed')
  return [expected, observed, compareTruthTables(expected, observed)].map((t) => `${t.title}\n${printTruthTable(t, '  ')}`).join('\n\n')
}
