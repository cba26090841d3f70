// The deck's side of the WebSocket: one connection per browser window, shared by every component in it
// (Slidev mounts a slide several times: presenter, next-slide preview, overview). Components read state
// from here; they never talk to the transport themselves.
import { reactive, shallowReactive } from 'vue'
import { serverMessage } from '../demo-server/src/protocol.ts'
import type { ClientMessage, ClusterHealth, Run, ServerMessage } from '../demo-server/src/protocol.ts'

export type Connection = 'unconfigured' | 'connecting' | 'open' | 'closed'

export interface ActionView {
  /** latest run as the server knows it (chunks are appended in place; `version` says when) */
  run: Run | null
  lastSucceeded: Run | null
  /** refusal from the server (unknown action, invalid parameters) */
  refusal: string | null
  /** bumped whenever output or status changes; components redraw from it */
  version: number
  /** a state message has arrived: what is shown is what the store holds */
  loaded: boolean
}

export interface CatalogEntry {
  id: string
  title: string
  kind: string
  kubectl: string
}

export interface DemoClient {
  connection: { state: Connection; message: string }
  health: { value: ClusterHealth | null }
  catalog: Map<string, CatalogEntry>
  action(id: string): ActionView
  run(id: string, params?: Record<string, string | number | boolean>): void
  cancel(id: string): void
}

let client: DemoClient | undefined

export function useDemoClient(): DemoClient {
  client ??= createDemoClient(import.meta.env.VITE_DEMO_SERVER, import.meta.env.VITE_DEMO_TOKEN)
  return client
}

export function createDemoClient(serverUrl: string | undefined, token: string | undefined): DemoClient {
  const connection = reactive({ state: 'connecting' as Connection, message: 'connecting to the demo server…' })
  const health = reactive({ value: null as ClusterHealth | null })
  const catalog = shallowReactive(new Map<string, CatalogEntry>())
  const views = new Map<string, ActionView>()
  const subscribed = new Set<string>()
  let socket: WebSocket | undefined
  let retry = 0

  function action(id: string): ActionView {
    let view = views.get(id)
    if (!view) {
      view = reactive({ run: null, lastSucceeded: null, refusal: null, version: 0, loaded: false }) as ActionView
      views.set(id, view)
    }
    if (!subscribed.has(id)) {
      subscribed.add(id)
      send({ type: 'subscribe', action: id })
    }
    return view
  }

  function send(message: ClientMessage): void {
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message))
  }

  function receive(message: ServerMessage): void {
    switch (message.type) {
      case 'catalog':
        catalog.clear()
        for (const entry of message.actions) catalog.set(entry.id, entry)
        return
      case 'cluster':
        health.value = message.health
        return
      case 'state': {
        const view = action(message.action)
        view.run = message.run
        view.lastSucceeded = message.lastSucceeded
        view.refusal = null
        view.loaded = true
        view.version++
        return
      }
      case 'chunk': {
        const view = views.get(message.action)
        if (!view?.run || view.run.id !== message.runId) return
        // chunks are pushed to the raw array: the reactive proxy would make 5 MB of output crawl
        const raw = (view.run as unknown as { __v_raw?: Run }).__v_raw ?? view.run
        if (message.chunk.seq !== raw.chunks.length) return // already in the snapshot
        raw.chunks.push(message.chunk)
        view.version++
        return
      }
      case 'exit': {
        const view = views.get(message.action)
        if (!view?.run || view.run.id !== message.runId) return
        Object.assign(view.run, {
          status: message.status,
          endedAt: message.endedAt,
          exitCode: message.exitCode,
          error: message.error,
          truncated: message.truncated,
        })
        view.version++
        return
      }
      case 'error': {
        if (message.action) {
          const view = action(message.action)
          view.refusal = message.message
          view.loaded = true
          view.version++
        } else {
          console.warn(`[demo server] ${message.message}`)
        }
        return
      }
    }
  }

  function connect(): void {
    if (!serverUrl || !token) {
      connection.state = 'unconfigured'
      connection.message = 'no demo server: start the deck with `npm start`'
      return
    }
    connection.state = 'connecting'
    const url = `${serverUrl.replace(/^http/, 'ws')}/ws?token=${encodeURIComponent(token)}`
    const ws = new WebSocket(url)
    socket = ws
    ws.onopen = () => {
      retry = 0
      connection.state = 'open'
      connection.message = `connected to ${serverUrl}`
      for (const id of subscribed) send({ type: 'subscribe', action: id })
    }
    ws.onmessage = (event: MessageEvent<string>) => {
      let json: unknown
      try {
        json = JSON.parse(event.data)
      } catch {
        return console.warn('[demo server] a message that is not JSON was ignored')
      }
      const parsed = serverMessage.safeParse(json)
      if (!parsed.success) return console.warn('[demo server] a malformed message was ignored', parsed.error.issues[0])
      receive(parsed.data)
    }
    ws.onclose = () => {
      if (socket !== ws) return
      connection.state = 'closed'
      connection.message = `demo server not reachable at ${serverUrl} — retrying`
      health.value = null
      const delay = Math.min(5000, 500 * 2 ** retry++)
      setTimeout(connect, delay)
    }
  }

  connect()
  return {
    connection,
    health,
    catalog,
    action,
    run: (id, params) => send({ type: 'run', action: id, ...(params ? { params } : {}) }),
    cancel: (id) => send({ type: 'cancel', action: id }),
  }
}
