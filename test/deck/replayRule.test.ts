// The one replay rule every live component follows (setup/replayRule.ts), in the deck and in the export, and the one
// precedence between the run folder and a recording (the run store's preferNewer, tested in runStore.test.ts).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Run } from '../../demo-server/src/protocol.ts'
import { labelOf, recordedAt, runToDraw } from '../../setup/replayRule.ts'

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
