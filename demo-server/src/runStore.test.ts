import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RunStore } from './runStore.ts'
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
