// The demo server: express for the health endpoint, ws for the deck. Loopback only; a WebSocket must come
// from the deck's origin and carry the token created at this start; frames are size-capped.
import { createServer } from 'node:http'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { timingSafeEqual } from 'node:crypto'
import express from 'express'
import { WebSocketServer } from 'ws'
import { Catalog, defaultActions, paramNames } from './catalog/index.ts'
import type { Action } from './catalog/types.ts'
import { labFor } from './catalog/lab.ts'
import { checkHealth } from './kube/cluster.ts'
import type { ClusterAccess } from './kube/cluster.ts'
import { Hub } from './hub.ts'
import type { CatalogEntries } from './hub.ts'
import { offlinePreviews } from './matrix/offline.ts'
import { shownCommand } from './runner/shownCommand.ts'
import { MAX_CLIENT_FRAME_BYTES } from './protocol.ts'
import { Runner } from './runner/index.ts'
import { RunStore } from './runStore.ts'

export interface DemoServerOptions {
  access: ClusterAccess
  token: string
  /** exact Origin header values allowed to open the WebSocket, e.g. http://localhost:3030 */
  allowedOrigins: string[]
  /** replay-only servers (no cluster, e.g. for `slidev export`, which picks its own port) may accept any loopback origin */
  allowAnyLoopbackOrigin?: boolean
  repoRoot: string
  /** where runs are persisted; omitted → memory only */
  storeDir?: string
  /** a recording read beside the persisted runs (the run store's preferNewer decides between them); never written */
  recordingDir?: string
  port?: number
  actions?: Action[]
  /** how often the API server is looked at (ms) */
  healthIntervalMs?: number
}

export interface DemoServer {
  url: string
  port: number
  store: RunStore
  runner: Runner
  hub: Hub
  catalog: Catalog
  /** looks at the API server now and tells every window */
  refreshHealth(): Promise<void>
  close(): Promise<void>
}

export const LOOPBACK = '127.0.0.1'

function sameToken(given: string | null | undefined, expected: string): boolean {
  if (!given) return false
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

function refuse(socket: Duplex, status: number, reason: string): void {
  socket.write(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`)
  socket.destroy()
}

export async function startDemoServer(options: DemoServerOptions): Promise<DemoServer> {
  if (options.token.length < 16) throw new Error('the token must be at least 16 characters')
  if (options.allowAnyLoopbackOrigin && options.access.kubeConfig) throw new Error('only a server without cluster access may accept any loopback origin')
  const originAllowed = (origin: string | undefined): origin is string =>
    !!origin && (options.allowedOrigins.includes(origin) || (!!options.allowAnyLoopbackOrigin && /^http:\/\/(localhost|127\.0\.0\.1):\d{1,5}$/.test(origin)))
  const catalog = new Catalog(options.actions ?? defaultActions(), options.repoRoot, labFor(options.access.context))
  const store = new RunStore({ dir: options.storeDir, recordings: options.recordingDir ? [options.recordingDir] : [] })
  const access = options.access
  const runner = new Runner({ catalog, store, cluster: () => access, repoRoot: options.repoRoot, onClusterFailure: () => void refreshHealth() })
  // each probe matrix's expectation from manifests/, computed by the matrix module on the first deck's arrival
  let previews: Map<string, string> | undefined
  const entries: CatalogEntries = () => {
    previews ??= offlinePreviews(catalog.list(), options.repoRoot)
    return catalog.list().map((a) => {
      const preview = previews?.get(a.id)
      return { id: a.id, title: a.title, kind: a.kind, shownCommand: shownCommand(a, {}, catalog.lab, paramNames(a)), ...(preview ? { preview } : {}) }
    })
  }
  const hub = new Hub({ store, runner, catalog, entries })
  async function refreshHealth(): Promise<void> {
    hub.setHealth(await checkHealth(access))
  }

  const app = express()
  app.disable('x-powered-by')
  app.get('/health', (req, res) => {
    const header = req.get('authorization')?.replace(/^Bearer /, '')
    if (!sameToken(header, options.token)) {
      res.status(401).json({ error: 'missing or wrong token' })
      return
    }
    void checkHealth(access).then((health) => {
      hub.setHealth(health)
      res.json({ ...health, actions: catalog.list().length, clients: hub.size })
    })
  })

  const server = createServer(app)
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_FRAME_BYTES })
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (url.pathname !== '/ws') return refuse(socket, 404, 'Not Found')
    const origin = req.headers.origin
    if (!originAllowed(origin)) return refuse(socket, 403, `Origin ${origin ?? '(none)'} is not the deck's`)
    if (!sameToken(url.searchParams.get('token'), options.token)) return refuse(socket, 401, 'missing or wrong token')
    wss.handleUpgrade(req, socket, head, (ws) => hub.attach(ws))
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, LOOPBACK, () => resolve())
  })
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  await refreshHealth()
  const timer = setInterval(() => void refreshHealth(), options.healthIntervalMs ?? 5000)
  timer.unref()

  return {
    url: `http://${LOOPBACK}:${port}`,
    port,
    store,
    runner,
    hub,
    catalog,
    refreshHealth: () => refreshHealth(),
    async close() {
      clearInterval(timer)
      runner.cancelAll()
      hub.close()
      wss.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
