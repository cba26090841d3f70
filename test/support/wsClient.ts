// A scripted deck for tests: opens the demo server's WebSocket like a browser window would and collects
// every (validated) server message.
import WebSocket from 'ws'
import { serverMessage } from '../../demo-server/src/protocol.ts'
import type { ServerMessage } from '../../demo-server/src/protocol.ts'

export interface TestDeck {
  socket: WebSocket
  messages: ServerMessage[]
  send(message: unknown): void
  sendRaw(data: string | Buffer): void
  /** resolves with the first message (already received or future) that matches */
  waitFor<T extends ServerMessage>(predicate: (m: ServerMessage) => m is T, timeoutMs?: number): Promise<T>
  waitFor(predicate: (m: ServerMessage) => boolean, timeoutMs?: number): Promise<ServerMessage>
  closed: Promise<{ code: number; reason: string }>
  close(): void
}

export function connectDeck(url: string, token: string, origin: string): Promise<TestDeck> {
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/ws?token=${encodeURIComponent(token)}`, { origin })
  const messages: ServerMessage[] = []
  const waiters = new Set<{ predicate: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }>()
  socket.on('message', (data) => {
    const message = serverMessage.parse(JSON.parse(data.toString())) // a malformed server message fails the test
    messages.push(message)
    for (const waiter of [...waiters]) {
      if (waiter.predicate(message)) {
        waiters.delete(waiter)
        waiter.resolve(message)
      }
    }
  })
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })))
  const deck: TestDeck = {
    socket,
    messages,
    send: (message) => socket.send(JSON.stringify(message)),
    sendRaw: (data) => socket.send(data),
    waitFor(predicate: (m: ServerMessage) => boolean, timeoutMs = 5000): Promise<ServerMessage> {
      const seen = messages.find(predicate)
      if (seen) return Promise.resolve(seen)
      return new Promise((resolve, reject) => {
        const waiter = { predicate, resolve: (m: ServerMessage) => { clearTimeout(timer); resolve(m) } }
        const timer = setTimeout(() => {
          waiters.delete(waiter)
          reject(new Error(`no matching message within ${timeoutMs} ms; got: ${messages.map((m) => m.type).join(', ')}`))
        }, timeoutMs)
        waiters.add(waiter)
      })
    },
    closed,
    close: () => socket.close(),
  } as TestDeck
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(deck))
    socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
    socket.once('error', reject)
  })
}
