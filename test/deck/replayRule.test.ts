// The one rule every live component follows (setup/replayRule.ts): what is drawn, its label and the notice above it,
// in the deck and in the export; and the one precedence between the run folder and a recording (the run store's
// preferNewer, tested in runStore.test.ts).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { flowsRecent, flowsWatch } from '../../demo-server/src/catalog/flows.ts'
import type { Run } from '../../demo-server/src/protocol.ts'
import { endedWell, FAKE_CONTEXT_PREFIX, isWatch, labelOf, newerRun, recordedAt, runToDraw, viewOf } from '../../setup/replayRule.ts'
import type { Situation } from '../../setup/replayRule.ts'
import { FAKE_LAB_CONTEXT } from '../fakeLab/lab.ts'

const run = (status: Run['status'], origin: Run['origin'] = 'live'): Run => ({
  id: `${status}-${origin}`, action: 'a', params: {}, status, startedAt: '2026-11-22T10:00:00Z', chunks: [], bytes: 0, truncated: false, origin,
})

test('a run that ended without success gives way to the last success in the export or on request — failed and cancelled alike', () => {
  const good = run('succeeded')
  for (const status of ['failed', 'cancelled'] as const) {
    assert.equal(runToDraw(run(status), good, true), good, `${status}: replayed when asked (or exporting)`)
    assert.equal(runToDraw(run(status), good, false)?.status, status, `${status}: shown as it is otherwise`)
    assert.equal(runToDraw(run(status), null, true)?.status, status, `${status}: nothing better to show`)
  }
  assert.equal(runToDraw(run('running'), good, true)?.status, 'running', 'a running run is never hidden')
  assert.equal(runToDraw(run('succeeded'), null, true)?.status, 'succeeded')
  assert.equal(runToDraw(null, null, true), null)
})

test('every drawing is labelled: live, recorded at ‹time› (cluster not connected when there is none), last run failed (‹time›), or not run yet', () => {
  const now = Date.parse('2026-11-22T16:30:00')
  const at = (status: Run['status'], iso = '2026-11-22T14:02:10') => ({ ...run(status, 'recorded'), startedAt: new Date(iso).toISOString() })
  assert.deepEqual(labelOf(null, false), { text: 'not run yet', kind: 'none' })
  assert.deepEqual(labelOf(run('running'), false), { text: 'live · running', kind: 'live' })
  assert.deepEqual(labelOf(run('succeeded'), false), { text: 'live', kind: 'live' })
  assert.deepEqual(labelOf(at('succeeded'), true, false, now), { text: 'recorded at 14:02', kind: 'replay' })
  assert.deepEqual(labelOf(at('succeeded'), true, true, now), { text: 'cluster not connected — showing the run recorded at 14:02', kind: 'replay' })
  for (const offline of [false, true]) {
    const failed = labelOf(at('failed'), true, offline, now)
    assert.deepEqual(failed, { text: 'last run failed (14:02)', kind: 'failed' }, 'a failed recorded run is never called a replay')
    assert.deepEqual(labelOf(at('cancelled'), true, offline, now), { text: 'last run cancelled (14:02)', kind: 'failed' })
  }
  assert.match(labelOf(at('succeeded', '2026-11-21T09:05:00'), true, false, now).text, /^recorded at \S+ \S+ 09:05$/, 'another day: the date comes first')
  assert.equal(recordedAt(new Date('2026-11-22T09:05:00').toISOString(), now), '09:05')
})

test('a watch stopped after it streamed is a complete recording: drawn and labelled as one, never offered a replay over', () => {
  const now = Date.parse('2026-11-22T16:30:00')
  const chunk = { seq: 0, stream: 'info' as const, data: 'whisker pod w: watching flows\n', at: 5 }
  const stopped: Run = { ...run('cancelled', 'recorded'), startedAt: new Date('2026-11-22T14:02:10').toISOString(), chunks: [chunk] }
  const neverConnected: Run = { ...stopped, chunks: [] }
  const good = run('succeeded')
  assert.equal(endedWell(stopped, true), true)
  assert.equal(endedWell(stopped, false), false, 'any other step cancelled is not a complete run')
  assert.equal(endedWell(neverConnected, true), false, 'a watch stopped before it streamed saw nothing')
  assert.equal(runToDraw(stopped, good, true, true), stopped, 'the stopped watch is drawn, not an older success')
  assert.equal(runToDraw(neverConnected, good, true, true), good)
  assert.deepEqual(labelOf(stopped, true, true, now, true), { text: 'cluster not connected — showing the run recorded at 14:02', kind: 'replay' })
  assert.deepEqual(labelOf(stopped, true, false, now, false), { text: 'last run cancelled (14:02)', kind: 'failed' })
  const view = viewOf({ ...situation, latest: stopped, lastSucceeded: good, watch: true, print: true }, now)
  assert.deepEqual([view.shown, view.replayAvailable, view.notice], [stopped, false, undefined])
  assert.equal(isWatch(flowsWatch), true)
  assert.equal(isWatch(flowsRecent), false)
})

test('a run recorded on a fake (a fake- context) says so wherever it is drawn', () => {
  const now = Date.parse('2026-11-22T16:30:00')
  const onFake = (status: Run['status']): Run => ({ ...run(status, 'recorded'), startedAt: new Date('2026-11-22T14:02:10').toISOString(), context: 'fake-calico-lab' })
  assert.deepEqual(labelOf(onFake('succeeded'), true, false, now), { text: 'recorded at 14:02 on fake-calico-lab (not a cluster)', kind: 'replay' })
  assert.deepEqual(labelOf(onFake('succeeded'), true, true, now), { text: 'cluster not connected — showing the run recorded at 14:02 on fake-calico-lab (not a cluster)', kind: 'replay' })
  assert.deepEqual(labelOf(onFake('failed'), true, false, now), { text: 'last run failed (14:02) on fake-calico-lab (not a cluster)', kind: 'failed' })
  assert.deepEqual(labelOf({ ...onFake('succeeded'), context: 'kind-calico-lab' }, true, false, now), { text: 'recorded at 14:02', kind: 'replay' })
  assert.ok(FAKE_LAB_CONTEXT.startsWith(FAKE_CONTEXT_PREFIX))
})

const situation: Situation = { latest: null, lastSucceeded: null, wantReplay: false, print: false, offline: false, watch: false, refusal: null, unavailable: '', interactive: true }

test('the notice above a step: refused; failed, with the last success on offer where the presenter can ask; or why nothing runs here', () => {
  const now = Date.parse('2026-11-22T16:30:00')
  const good: Run = { ...run('succeeded'), startedAt: new Date('2026-11-22T14:02:10').toISOString() }
  const failed: Run = { ...run('failed'), startedAt: new Date('2026-11-22T15:00:00').toISOString(), error: { kind: 'forbidden', message: 'pods/exec is forbidden' } }
  assert.deepEqual(viewOf({ ...situation, refusal: 'unknown action' }, now).notice, { kind: 'refused', text: 'refused: unknown action' })

  const live = viewOf({ ...situation, latest: failed, lastSucceeded: good }, now)
  assert.deepEqual([live.shown, live.replay, live.label.kind], [failed, false, 'live'])
  assert.deepEqual(live.notice, { kind: 'failed', failure: failed.error, offer: 'show the last successful run (14:02)' })
  const asked = viewOf({ ...situation, latest: failed, lastSucceeded: good, wantReplay: true }, now)
  assert.deepEqual([asked.shown, asked.replay, asked.label.text], [good, true, 'recorded at 14:02'])
  assert.deepEqual(asked.notice, { kind: 'failed', failure: failed.error, offer: 'hide the replay' }, 'the failure stays said above the replay')
  assert.equal((viewOf({ ...situation, latest: failed, lastSucceeded: good, interactive: false }, now).notice as { offer?: string }).offer, undefined, 'a preview offers nothing')
  assert.equal((viewOf({ ...situation, latest: failed }, now).notice as { offer?: string }).offer, undefined, 'no success, nothing to offer')

  // the export and a window with no cluster draw the last success instead, and say nothing of the failure
  for (const where of [{ print: true }, { offline: true }]) {
    const v = viewOf({ ...situation, ...where, latest: failed, lastSucceeded: good }, now)
    assert.deepEqual([v.shown, v.notice], [good, undefined])
  }
  // nothing drawn: why
  assert.deepEqual(viewOf({ ...situation, unavailable: 'offline: no cluster — no kubeconfig found' }, now).notice, { kind: 'offline', text: 'offline: no cluster — no kubeconfig found' })
  assert.deepEqual(viewOf({ ...situation, print: true }, now).notice, { kind: 'offline', text: 'no recorded run of this step' })
  assert.equal(viewOf({ ...situation, latest: good, unavailable: 'offline' }, now).notice, undefined, 'something is drawn: its label says what it is')
})

test('a policy step shows whichever of its apply and remove started last', () => {
  const at = (iso: string) => ({ startedAt: iso })
  assert.equal(newerRun(null, null), undefined)
  assert.equal(newerRun(at('2026-11-22T10:00:00Z'), null), 'a')
  assert.equal(newerRun(null, at('2026-11-22T10:00:00Z')), 'b')
  assert.equal(newerRun(at('2026-11-22T10:00:00Z'), at('2026-11-22T10:00:01Z')), 'b')
  assert.equal(newerRun(at('2026-11-22T10:00:02Z'), at('2026-11-22T10:00:01Z')), 'a')
})
