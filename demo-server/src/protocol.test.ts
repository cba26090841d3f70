import { test } from 'node:test'
import assert from 'node:assert/strict'
import { clientMessage, serverMessage } from './protocol.ts'

test('client messages: the three kinds parse', () => {
  assert.equal(clientMessage.parse({ type: 'subscribe', action: 'nodes-wide' }).type, 'subscribe')
  assert.deepEqual(clientMessage.parse({ type: 'run', action: 'curl-service', params: { service: 'details' } }), {
    type: 'run', action: 'curl-service', params: { service: 'details' },
  })
  assert.equal(clientMessage.parse({ type: 'cancel', action: 'a' }).type, 'cancel')
})

test('client messages: anything else is refused', () => {
  const bad: unknown[] = [
    { type: 'exec', action: 'a' }, // unknown type
    { type: 'run' }, // no action
    { type: 'run', action: 'Nodes Wide' }, // not an id
    { type: 'run', action: '../etc/passwd' },
    { type: 'run', action: 'a', command: 'rm -rf /' }, // extra field: strict
    { type: 'run', action: 'a', params: { cmd: { nested: true } } }, // params are scalars only
    { type: 'run', action: 'a', params: { s: 'x'.repeat(201) } }, // bounded strings
    'run a',
    null,
  ]
  for (const message of bad) assert.equal(clientMessage.safeParse(message).success, false, JSON.stringify(message))
})

test('server messages: a state with a run round-trips; a chunk without a stream does not', () => {
  const run = {
    id: 'r1', action: 'a', params: {}, status: 'succeeded', startedAt: new Date().toISOString(), endedAt: new Date().toISOString(),
    exitCode: 0, chunks: [{ seq: 0, stream: 'stdout', data: 'hi', at: 3 }], bytes: 2, truncated: false, origin: 'live',
  }
  assert.deepEqual(serverMessage.parse({ type: 'state', action: 'a', run, lastSucceeded: null }), { type: 'state', action: 'a', run, lastSucceeded: null })
  assert.equal(serverMessage.safeParse({ type: 'chunk', action: 'a', runId: 'r1', chunk: { seq: 0, data: 'x', at: 0 } }).success, false)
  assert.equal(serverMessage.safeParse({ type: 'exit', action: 'a', runId: 'r1', status: 'exploded', endedAt: '', truncated: false }).success, false)
})
