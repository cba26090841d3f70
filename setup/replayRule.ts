// What a live component draws and how it labels it: one rule for <LiveRun>, <ProbeMatrix> and <PolicyStep>, in the
// deck and in the export. No Vue, no Slidev: the tests read it as it is.
import type { Run } from '../demo-server/src/protocol.ts'

export interface Label {
  text: string
  kind: 'none' | 'live' | 'replay'
}

/** What the viewer sees is always labelled: live, replay of ‹time›, or not run yet. */
export function labelOf(run: Run | null, replay: boolean): Label {
  if (!run) return { text: 'not run yet', kind: 'none' }
  if (replay) return { text: `replay of ${new Date(run.startedAt).toLocaleString()}`, kind: 'replay' }
  return { text: run.status === 'running' ? 'live · running' : 'live', kind: 'live' }
}

/**
 * The replay rule: the latest run, unless it ended without success (failed or cancelled) and a successful one exists —
 * then the successful one when exporting, or when the presenter asks for it.
 */
export function runToDraw(latest: Run | null, lastSucceeded: Run | null, wantReplay: boolean): Run | null {
  const ended = latest && latest.status !== 'running' && latest.status !== 'succeeded'
  return ended && lastSucceeded && wantReplay ? lastSucceeded : latest
}
