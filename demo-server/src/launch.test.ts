// untilAnswers: how `npm start`, the bench and the browser tests wait for a server they started.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import { freePort, untilAnswers } from './launch.ts'

const listen = (server: Server, port: number) => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()))
const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()))

test('untilAnswers: true once the server comes up and answers 2xx, not before', async () => {
  const port = await freePort()
  let status = 503
  const server = createServer((_req, res) => res.writeHead(status).end())
  setTimeout(() => void listen(server, port), 300)
  setTimeout(() => (status = 200), 600)
  const started = performance.now()
  try {
    assert.equal(await untilAnswers(`http://127.0.0.1:${port}/`, { timeoutMs: 5_000, intervalMs: 20 }), true)
    assert.ok(performance.now() - started >= 550, 'a 503 is not an answer')
  } finally {
    await close(server)
  }
})

test('untilAnswers: false when nothing answers in time, and at once when the caller gives up', async () => {
  const port = await freePort()
  assert.equal(await untilAnswers(`http://127.0.0.1:${port}/`, { timeoutMs: 200, intervalMs: 20 }), false)
  const started = performance.now()
  assert.equal(await untilAnswers(`http://127.0.0.1:${port}/`, { timeoutMs: 10_000, gaveUp: () => true }), false)
  assert.ok(performance.now() - started < 1_000)
})

test('untilAnswers: a server that accepts and never answers does not hold it past its timeout', async () => {
  const port = await freePort()
  const server = createServer(() => {}) // never responds
  await listen(server, port)
  const started = performance.now()
  try {
    assert.equal(await untilAnswers(`http://127.0.0.1:${port}/`, { timeoutMs: 300 }), false)
    assert.ok(performance.now() - started < 2_000)
  } finally {
    server.closeAllConnections()
    await close(server)
  }
})
