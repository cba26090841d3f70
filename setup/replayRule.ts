// What a live component draws and how it labels it: one rule for <LiveRun>, <ProbeMatrix> and <PolicyStep>, in the
// deck and in the export. No Vue, no Slidev: the tests read it as it is. (Which stored run is the latest — the run
// folder's or the rehearsal recording's — is decided once, when the run store loads: runStore.ts preferNewer.)
import type { Run } from '../demo-server/src/protocol.ts'

export interface Label {
  text: string
  /** `replay`: a recorded run that succeeded; `failed`: a recorded run that did not (never called a replay) */
  kind: 'none' | 'live' | 'replay' | 'failed'
}

/** When a recorded run started, as a room reads it: "14:02", with the day in front when it was not today. */
export function recordedAt(iso: string, now: number = Date.now()): string {
  const at = new Date(iso)
  const time = at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
  if (at.toDateString() === new Date(now).toDateString()) return time
  return `${at.toLocaleDateString([], { day: 'numeric', month: 'short' })} ${time}`
}

/**
 * What the viewer sees is always labelled: live, a recorded run with its time ("cluster not connected — showing the
 * run recorded at 14:02" when there is no cluster to run it on), "last run failed (14:02)" for a recorded run that did
 * not succeed, or not run yet.
 */
export function labelOf(run: Run | null, replay: boolean, offline = false, now: number = Date.now()): Label {
  if (!run) return { text: 'not run yet', kind: 'none' }
  if (replay) {
    const at = recordedAt(run.startedAt, now)
    if (run.status === 'succeeded') return { text: offline ? `cluster not connected — showing the run recorded at ${at}` : `recorded at ${at}`, kind: 'replay' }
    return { text: `last run ${run.status === 'cancelled' ? 'cancelled' : 'failed'} (${at})`, kind: 'failed' }
  }
  return { text: run.status === 'running' ? 'live · running' : 'live', kind: 'live' }
}

/**
 * The replay rule: the latest run, unless it ended without success (failed or cancelled) and a successful one exists —
 * then the successful one when exporting, when no cluster is connected, or when the presenter asks for it.
 */
export function runToDraw(latest: Run | null, lastSucceeded: Run | null, wantReplay: boolean): Run | null {
  const ended = latest && latest.status !== 'running' && latest.status !== 'succeeded'
  return ended && lastSucceeded && wantReplay ? lastSucceeded : latest
}
