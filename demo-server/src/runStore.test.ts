import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { preferNewer, RunStore } from './runStore.ts'
import type { RunEvent } from './runStore.ts'

const tmp = () => mkdtempSync(join(tmpdir(), 'runstore-'))

test('a run keeps its chunks in order, with seq numbers and stream names', () => {
  const store = new RunStore()
  const run = store.start('a', {})
  store.append(run, 'stdout', 'one\n')
  store.append(run, 'stderr', 'two\n')
  store.append(run, 'stdout', 'three\n')
  store.finish(run, 'succeeded', { exitCode: 0 })
  const { run: latest } = store.get('a')
  assert.deepEqual(latest?.chunks.map((c) => [c.seq, c.stream, c.data]), [[0, 'stdout', 'one\n'], [1, 'stderr', 'two\n'], [2, 'stdout', 'three\n']])
  assert.equal(latest?.status, 'succeeded')
  assert.equal(latest?.exitCode, 0)
  assert.equal(latest?.bytes, 14)
  assert.ok(latest?.endedAt)
})

test('a second start while running is refused: callers must join instead', () => {
  const store = new RunStore()
  store.start('a', {})
  assert.equal(store.isRunning('a'), true)
  assert.throws(() => store.start('a', {}), /already running/)
})

test('the first ending wins (a cancel racing the exit status)', () => {
  const store = new RunStore()
  const run = store.start('a', {})
  store.finish(run, 'cancelled')
  store.finish(run, 'succeeded', { exitCode: 0 })
  assert.equal(store.get('a').run?.status, 'cancelled')
  assert.equal(store.get('a').run?.exitCode, undefined)
})

test('output past the limit is cut with one visible marker, and nothing after it', () => {
  const store = new RunStore({ maxOutputBytes: 1024 * 1024 })
  const run = store.start('big', {})
  const line = 'x'.repeat(1000) + '\n'
  let accepted = 0
  for (let i = 0; i < 3000; i++) if (store.append(run, 'stdout', line)) accepted++
  store.finish(run, 'succeeded', { exitCode: 0 })
  const latest = store.get('big').run!
  assert.equal(latest.truncated, true)
  assert.ok(latest.bytes <= 1024 * 1024, `kept ${latest.bytes} bytes`)
  assert.ok(latest.bytes > 1024 * 1024 - 1001, 'fills up to the limit')
  const info = latest.chunks.filter((c) => c.stream === 'info')
  assert.equal(info.length, 1)
  assert.match(info[0]!.data, /truncated/)
  assert.equal(latest.chunks.at(-1)?.stream, 'info', 'the marker is the last chunk')
  assert.ok(accepted < 1100)
})

test('a failed run keeps the last successful one beside it; a new success clears it', () => {
  const store = new RunStore()
  const ok = store.start('a', {})
  store.append(ok, 'stdout', 'good\n')
  store.finish(ok, 'succeeded', { exitCode: 0 })
  const bad = store.start('a', {})
  store.finish(bad, 'failed', { error: { kind: 'unreachable', message: 'gone' } })
  assert.equal(store.get('a').run?.status, 'failed')
  assert.equal(store.get('a').lastSucceeded?.id, ok.id)
  const again = store.start('a', {})
  assert.equal(store.get('a').lastSucceeded?.id, ok.id, 'still reachable while the new run is running')
  store.finish(again, 'succeeded', { exitCode: 0 })
  assert.equal(store.get('a').lastSucceeded, null)
})

test('persisted runs come back after a restart as recorded replays', () => {
  const dir = tmp()
  const first = new RunStore({ dir })
  const run = first.start('nodes-wide', { x: 1 }, 'kind-lab')
  first.append(run, 'stdout', 'NAME   STATUS\n')
  first.finish(run, 'succeeded', { exitCode: 0 })
  const second = new RunStore({ dir })
  const loaded = second.get('nodes-wide').run
  assert.equal(loaded?.id, run.id)
  assert.equal(loaded?.origin, 'recorded')
  assert.equal(loaded?.context, 'kind-lab')
  assert.equal(loaded?.chunks[0]?.data, 'NAME   STATUS\n')
  assert.equal(JSON.parse(readFileSync(join(dir, 'nodes-wide.json'), 'utf8')).latest.origin, 'live', 'the file says what it was')
})

test('a corrupt file is skipped, the others still load', () => {
  const dir = tmp()
  const first = new RunStore({ dir })
  first.finish(first.start('good', {}), 'succeeded', { exitCode: 0 })
  writeFileSync(join(dir, 'bad.json'), '{"latest": 42')
  const second = new RunStore({ dir })
  assert.equal(second.get('good').run?.status, 'succeeded')
  assert.equal(second.get('bad').run, null)
})

test('listeners see started, each chunk, then ended', () => {
  const store = new RunStore()
  const events: string[] = []
  store.subscribe((action, e: RunEvent) => events.push(`${action}:${e.type}`))
  const run = store.start('a', {})
  store.append(run, 'stdout', 'x')
  store.finish(run, 'succeeded', { exitCode: 0 })
  assert.deepEqual(events, ['a:started', 'a:chunk', 'a:ended'])
})

/** A store whose clock the test sets: runs start at the given times. */
function storeAt(dir: string, ...times: string[]): { store: RunStore; next: () => void } {
  let i = 0
  const store = new RunStore({ dir, now: () => Date.parse(times[Math.min(i, times.length - 1)]!) })
  return { store, next: () => void i++ }
}

test('a recording beside the run folder: per action the newer run is the latest, the newest success of either stays beside it', () => {
  const runs = tmp()
  const recording = tmp()
  // the rehearsal, yesterday: a success for a, a failure for b, a success for c
  const rehearsal = storeAt(recording, '2026-11-21T14:02:00Z')
  const recA = rehearsal.store.start('a', {})
  rehearsal.store.finish(recA, 'succeeded', { exitCode: 0 })
  const recB = rehearsal.store.start('b', {})
  rehearsal.store.finish(recB, 'failed', { error: { kind: 'forbidden', message: 'no exec' } })
  const recC = rehearsal.store.start('c', {})
  rehearsal.store.finish(recC, 'succeeded', { exitCode: 0 })
  // the run folder: an older development run of a, today's failed run of c, a run of d only here
  const dev = storeAt(runs, '2026-11-01T09:00:00Z', '2026-11-22T10:00:00Z')
  dev.store.finish(dev.store.start('a', {}), 'succeeded', { exitCode: 0 })
  dev.next()
  const liveC = dev.store.start('c', {})
  dev.store.finish(liveC, 'failed', { error: { kind: 'unreachable', message: 'gone' } })
  dev.store.finish(dev.store.start('d', {}), 'succeeded', { exitCode: 0 })
  const before = readdirSync(recording).sort()

  const deck = new RunStore({ dir: runs, recordings: [recording] })
  assert.equal(deck.get('a').run?.id, recA.id, 'the rehearsal is newer than the development run')
  assert.equal(deck.get('b').run?.id, recB.id, 'only the recording has b')
  assert.equal(deck.get('b').lastSucceeded, null)
  assert.equal(deck.get('c').run?.id, liveC.id, "today's live run is newer than the rehearsal")
  assert.equal(deck.get('c').lastSucceeded?.id, recC.id, "and the rehearsal's success stays beside it")
  assert.equal(deck.get('d').run?.status, 'succeeded')
  for (const id of ['a', 'b', 'c', 'd']) assert.equal(deck.get(id).run?.origin, 'recorded', `${id} was not run by this process`)
  // the same answer whichever folder is read first
  const swapped = new RunStore({ dir: recording, recordings: [runs] })
  for (const id of ['a', 'b', 'c', 'd']) {
    assert.equal(swapped.get(id).run?.id, deck.get(id).run?.id, id)
    assert.equal(swapped.get(id).lastSucceeded?.id, deck.get(id).lastSucceeded?.id, id)
  }
  // a new run goes to the run folder only: the recording is read, never written
  deck.finish(deck.start('b', {}), 'succeeded', { exitCode: 0 })
  assert.deepEqual(readdirSync(recording).sort(), before)
  assert.equal(JSON.parse(readFileSync(join(recording, 'b.json'), 'utf8')).latest.id, recB.id)
})

test('preferNewer: a tie keeps the first; no success anywhere leaves none', () => {
  const run = (id: string, startedAt: string, status: 'succeeded' | 'failed') => ({ id, action: 'a', params: {}, status, startedAt, chunks: [], bytes: 0, truncated: false, origin: 'recorded' as const })
  const a = { latest: run('1', '2026-11-22T10:00:00Z', 'failed'), lastSucceeded: null }
  const b = { latest: run('2', '2026-11-22T10:00:00Z', 'failed'), lastSucceeded: null }
  assert.equal(preferNewer(a, b).latest?.id, '1')
  assert.equal(preferNewer(a, b).lastSucceeded, null)
  const c = { latest: run('3', '2026-11-22T09:00:00Z', 'failed'), lastSucceeded: run('4', '2026-11-22T08:00:00Z', 'succeeded') }
  assert.deepEqual([preferNewer(a, c).latest?.id, preferNewer(a, c).lastSucceeded?.id], ['1', '4'])
})

test('a recording folder that is not there is skipped with a warning, the run folder still loads', () => {
  const runs = tmp()
  const first = new RunStore({ dir: runs })
  first.finish(first.start('a', {}), 'succeeded', { exitCode: 0 })
  const store = new RunStore({ dir: runs, recordings: [join(runs, 'no-such-recording')] })
  assert.equal(store.get('a').run?.status, 'succeeded')
})
