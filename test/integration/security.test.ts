// The demo server can reach a cluster: only the deck, with this start's token, may drive it, and only
// through the catalog. Each refusal must leave the server serving.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import WebSocket from 'ws'
import { defaultActions } from '../../demo-server/src/catalog/index.ts'
import { startDemoServer } from '../../demo-server/src/server.ts'
import type { DemoServer } from '../../demo-server/src/server.ts'
import { repoRoot } from '../../demo-server/src/launch.ts'
import { MAX_CLIENT_FRAME_BYTES } from '../../demo-server/src/protocol.ts'
import { curlService } from '../support/demoServer.ts'
import { connectDeck } from '../support/wsClient.ts'

const token = 'security-test-token-0123456789'
const origin = 'http://localhost:3030'
let server: DemoServer

before(async () => {
  server = await startDemoServer({
    access: { kubeConfig: null, context: null, server: null, problem: 'no kubeconfig (test)' },
    token,
    allowedOrigins: [origin],
    repoRoot,
    actions: [...defaultActions(), curlService],
  })
})
after(() => server.close())

function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers })
    socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
    socket.once('open', () => {
      socket.close()
      resolve(101)
    })
    socket.once('error', (e) => (e.message.includes('Unexpected server response') ? undefined : reject(e)))
  })
}

async function stillServing(): Promise<void> {
  const deck = await connectDeck(server.url, token, origin)
  await deck.waitFor((m) => m.type === 'catalog')
  deck.close()
}

test('listens on loopback only', () => {
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/)
})

test('a WebSocket from a foreign Origin is refused (403)', async () => {
  const ws = `${server.url.replace('http', 'ws')}/ws?token=${token}`
  assert.equal(await upgradeStatus(ws, { Origin: 'http://evil.example' }), 403)
  assert.equal(await upgradeStatus(ws, { Origin: 'http://localhost:3031' }), 403)
  assert.equal(await upgradeStatus(ws, {}), 403, 'no Origin at all')
  await stillServing()
})

test('a missing or wrong token is refused (401)', async () => {
  const base = `${server.url.replace('http', 'ws')}/ws`
  assert.equal(await upgradeStatus(base, { Origin: origin }), 401)
  assert.equal(await upgradeStatus(`${base}?token=wrong`, { Origin: origin }), 401)
  assert.equal(await upgradeStatus(`${base}?token=${token}x`, { Origin: origin }), 401)
  assert.equal(await upgradeStatus(`${base}?token=${token}`, { Origin: origin }), 101)
  await stillServing()
})

test('the health endpoint needs the token too', async () => {
  assert.equal((await fetch(`${server.url}/health`)).status, 401)
  const ok = await fetch(`${server.url}/health`, { headers: { authorization: `Bearer ${token}` } })
  assert.equal(ok.status, 200)
  const body = (await ok.json()) as { mode: string; message: string }
  assert.equal(body.mode, 'offline')
  assert.match(body.message, /no kubeconfig/)
})

test('malformed JSON and malformed messages get a clear error; the connection stays', async () => {
  const deck = await connectDeck(server.url, token, origin)
  deck.sendRaw('{not json')
  assert.match(((await deck.waitFor((m) => m.type === 'error')) as { message: string }).message, /not JSON/)
  deck.send({ type: 'run', action: 'nodes-wide', command: 'rm -rf /' })
  const second = await deck.waitFor((m) => m.type === 'error' && m.message.includes('malformed'))
  assert.match((second as { message: string }).message, /command/)
  deck.send({ type: 'subscribe', action: 'nodes-wide' })
  await deck.waitFor((m) => m.type === 'state' && m.action === 'nodes-wide')
  deck.close()
})

test('an oversized frame closes that connection (1009) and nothing else', async () => {
  const deck = await connectDeck(server.url, token, origin)
  deck.sendRaw(JSON.stringify({ type: 'subscribe', action: 'a', pad: 'x'.repeat(MAX_CLIENT_FRAME_BYTES) }))
  const { code } = await deck.closed
  assert.equal(code, 1009)
  await stillServing()
})

test('unknown actions and invalid parameters are refused, and nothing runs', async () => {
  const deck = await connectDeck(server.url, token, origin)
  deck.send({ type: 'run', action: 'kubectl-delete-everything' })
  const unknown = await deck.waitFor((m) => m.type === 'error' && m.code === 'unknown-action')
  assert.match((unknown as { message: string }).message, /no action "kubectl-delete-everything"/)
  deck.send({ type: 'run', action: 'curl-service', params: { service: 'evil.com; rm -rf /' } })
  const invalid = await deck.waitFor((m) => m.type === 'error' && m.code === 'invalid-params')
  assert.match((invalid as { message: string }).message, /service/)
  deck.send({ type: 'run', action: 'nodes-wide', params: { anything: true } })
  await deck.waitFor((m) => m.type === 'error' && m.code === 'invalid-params' && m.action === 'nodes-wide')
  assert.equal(server.store.get('curl-service').run, null, 'no run was recorded')
  assert.equal(server.store.get('nodes-wide').run, null)
  deck.close()
  await stillServing()
})

test('with no cluster, a run fails at once with a clear no-cluster message', async () => {
  const deck = await connectDeck(server.url, token, origin)
  deck.send({ type: 'run', action: 'nodes-wide' })
  const exit = await deck.waitFor((m) => m.type === 'exit' && m.action === 'nodes-wide', 2000)
  assert.equal(exit.type === 'exit' && exit.error?.kind, 'no-cluster')
  assert.match(exit.type === 'exit' ? (exit.error?.message ?? '') : '', /offline: no cluster/)
  deck.close()
})
