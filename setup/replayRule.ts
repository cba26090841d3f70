// What a live component draws, how it labels it and what it says above it: one rule for <LiveRun>, <ProbeMatrix>,
// <FlowLog> and <PolicyStep>, in the deck and in the export, and for the rehearsal's verdict on a watch. No Vue, no
// Slidev: the tests read it as it is. (Which stored run is the latest — the run folder's or the rehearsal recording's —
// is decided once, when the run store loads: runStore.ts preferNewer.)
import type { Action } from '../demo-server/src/catalog/types.ts'
import type { FailureKind, Run } from '../demo-server/src/protocol.ts'

export interface Label {
  text: string
  /** `replay`: a recorded run that ended well; `failed`: a recorded run that did not (never called a replay) */
  kind: 'none' | 'live' | 'replay' | 'failed'
}

/**
 * The test suite's fake API servers name their kube contexts fake-… (the fake lab: fake-calico-lab). A run recorded on
 * one says so on the slide, so a fake's answer never passes for a cluster's.
 */
export const FAKE_CONTEXT_PREFIX = 'fake-'

/** When a recorded run started, as a room reads it: "14:02", with the day in front when it was not today. */
export function recordedAt(iso: string, now: number = Date.now()): string {
  const at = new Date(iso)
  const time = at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
  if (at.toDateString() === new Date(now).toDateString()) return time
  return `${at.toLocaleDateString([], { day: 'numeric', month: 'short' })} ${time}`
}

/** A watch: a catalog step that streams until it is stopped or its time is up (the flows watch). */
export const isWatch = (action: Pick<Action, 'kind'> & { mode?: string }): boolean => action.kind === 'flows' && action.mode === 'stream'

/**
 * A run that is a complete account of its step: it succeeded — or it is a watch (a stream that runs until it is
 * stopped or its time is up) stopped after it had started streaming: stopping is how a watch ends, and what it
 * streamed until then is what it saw. (The flows runner writes a watch's first line once it is connected.)
 */
export function endedWell(run: Run, watch = false): boolean {
  return run.status === 'succeeded' || (watch && run.status === 'cancelled' && run.chunks.length > 0)
}

/**
 * What the viewer sees is always labelled: live, a recorded run with its time ("cluster not connected — showing the
 * run recorded at 14:02" when there is no cluster to run it on), "last run failed (14:02)" for a recorded run that did
 * not end well, or not run yet. A run recorded on a fake says so.
 */
export function labelOf(run: Run | null, replay: boolean, offline = false, now: number = Date.now(), watch = false): Label {
  if (!run) return { text: 'not run yet', kind: 'none' }
  if (replay) {
    const at = recordedAt(run.startedAt, now)
    const fake = run.context?.startsWith(FAKE_CONTEXT_PREFIX) ? ` on ${run.context} (not a cluster)` : ''
    if (endedWell(run, watch)) return { text: offline ? `cluster not connected — showing the run recorded at ${at}${fake}` : `recorded at ${at}${fake}`, kind: 'replay' }
    return { text: `last run ${run.status === 'cancelled' ? 'cancelled' : 'failed'} (${at})${fake}`, kind: 'failed' }
  }
  return { text: run.status === 'running' ? 'live · running' : 'live', kind: 'live' }
}

/**
 * The replay rule: the latest run, unless it ended without success (failed, or cancelled — a watch stopped after it
 * streamed excepted) and a successful one exists — then the successful one when exporting, when no cluster is
 * connected, or when the presenter asks for it.
 */
export function runToDraw(latest: Run | null, lastSucceeded: Run | null, wantReplay: boolean, watch = false): Run | null {
  const endedBadly = latest && latest.status !== 'running' && !endedWell(latest, watch)
  return endedBadly && lastSucceeded && wantReplay ? lastSucceeded : latest
}

/** What a component says above what it draws (<StepNotice>). */
export type Notice =
  | { kind: 'refused'; text: string }
  /** the latest run failed; `offer`: the button that shows the last successful run instead (or hides it again) */
  | { kind: 'failed'; failure: { kind: FailureKind; message: string }; offer?: string }
  /** nothing is drawn, and why nothing can run here */
  | { kind: 'offline'; text: string }

/** Everything the rule reads about one catalog step in one window. */
export interface Situation {
  latest: Run | null
  lastSucceeded: Run | null
  /** the presenter asked for the last successful run (after a failure) */
  wantReplay: boolean
  /** the export: recorded runs are all there is */
  print: boolean
  /** the demo server answers but no cluster does */
  offline: boolean
  /** the step is a watch (see endedWell) */
  watch: boolean
  /** the demo server refused the step */
  refusal: string | null
  /** why nothing can run in this window ('' when something can): no demo server, no cluster */
  unavailable: string
  /** this copy of the slide may start things (the export and previews may not) */
  interactive: boolean
}

export interface View {
  /** the run drawn */
  shown: Run | null
  /** it is not a live run of this window: recorded, or the last success shown instead of the latest */
  replay: boolean
  label: Label
  notice: Notice | undefined
  /** the latest run ended badly and a successful one exists: a replay can be offered */
  replayAvailable: boolean
}

/** The rule, whole: what is drawn, its label, and the notice above it. */
export function viewOf(s: Situation, now: number = Date.now()): View {
  const shown = runToDraw(s.latest, s.lastSucceeded, s.wantReplay || s.print || s.offline, s.watch)
  const replay = !!shown && (shown.origin === 'recorded' || shown !== s.latest)
  const label = labelOf(shown, replay, s.offline, now, s.watch)
  const latest = s.latest
  const replayAvailable = !!s.lastSucceeded && !!latest && latest.status !== 'running' && !endedWell(latest, s.watch)
  let notice: Notice | undefined
  if (s.refusal) notice = { kind: 'refused', text: `refused: ${s.refusal}` }
  else if (latest?.status === 'failed' && latest.error && !((s.print || s.offline) && shown !== latest)) {
    // the failure stands above what is drawn — unless the export or an offline window draws the last success instead
    const offer = replayAvailable && s.interactive
      ? (s.wantReplay ? 'hide the replay' : `show the last successful run (${recordedAt(s.lastSucceeded!.startedAt, now)})`)
      : undefined
    notice = { kind: 'failed', failure: latest.error, ...(offer ? { offer } : {}) }
  } else if (!shown && (s.print || s.unavailable)) notice = { kind: 'offline', text: s.print ? 'no recorded run of this step' : s.unavailable }
  return { shown, replay, label, notice, replayAvailable }
}

/** Of two steps' latest runs (a policy step's apply and remove), the one that started last. */
export function newerRun<T extends { startedAt: string }>(a: T | null, b: T | null): 'a' | 'b' | undefined {
  if (!a && !b) return undefined
  if (a && (!b || Date.parse(a.startedAt) >= Date.parse(b.startedAt))) return 'a'
  return 'b'
}
