// The one replay rule every live component follows (setup/replayRule.ts), in the deck and in the export.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Run } from '../../demo-server/src/protocol.ts'
import { labelOf, runToDraw } from '../../setup/replayRule.ts'

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

test('every drawing is labelled: live, replay of ‹time›, or not run yet', () => {
  assert.deepEqual(labelOf(null, false), { text: 'not run yet', kind: 'none' })
  assert.deepEqual(labelOf(run('running'), false), { text: 'live · running', kind: 'live' })
  assert.deepEqual(labelOf(run('succeeded'), false), { text: 'live', kind: 'live' })
  const replay = labelOf(run('succeeded', 'recorded'), true)
  assert.equal(replay.kind, 'replay')
  assert.match(replay.text, /^replay of /)
})
