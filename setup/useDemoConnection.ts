// The deck's side of the WebSocket: one connection per browser window, shared by every component in it (Slidev mounts
// a slide several times: presenter, next-slide preview, overview) through createSharedComposable. Components read
// state from here — through useDemoAction — and never talk to the transport themselves.
//
// Reactivity without counters: a run is held in a shallowRef; its chunk array is appended in place (no proxy, so 5 MB
// of output does not crawl) and `triggerRef` tells whoever reads the run that it changed.
import { createSharedComposable, useWebSocket } from '@vueuse/core'
import { computed, ref, shallowRef, triggerRef } from 'vue'
import type { Ref, ShallowRef } from 'vue'
import { serverMessage } from '../demo-server/src/protocol.ts'
import type { ClientMessage, ClusterHealth, Run, ServerMessage } from '../demo-server/src/protocol.ts'

export type ConnectionState = 'unconfigured' | 'connecting' | 'open' | 'closed'

/** One action as this window knows it. */
export interface ActionState {
  /** the latest run as the server knows it (chunks appended in place, then triggered) */
  run: ShallowRef<Run | null>
  /** the last run that succeeded, when the latest one did not */
  lastSucceeded: ShallowRef<Run | null>
  /** refusal from the server (unknown action, invalid parameters) */
  refusal: Ref<string | null>
  /** a state message has arrived: what is shown is what the store holds */
  loaded: Ref<boolean>
}

export type CatalogEntry = Extract<ServerMessage, { type: 'catalog' }>['actions'][number]

/** Reconnect quickly first, then every 5 s at most. */
const backoff = (retries: number) => Math.min(5000, 500 * 2 ** retries)

function createConnection(serverUrl: string | undefined, token: string | undefined) {
  const configured = !!serverUrl && !!token
  const health = shallowRef<ClusterHealth | null>(null)
  const catalog = shallowRef(new Map<string, CatalogEntry>())
  const actions = new Map<string, ActionState>()
  const url = configured ? `${serverUrl.replace(/^http/, 'ws')}/ws?token=${encodeURIComponent(token)}` : undefined

  const { status, send: sendRaw } = useWebSocket(url, {
    immediate: configured,
    autoReconnect: { retries: -1, delay: backoff },
    onConnected: () => {
      for (const id of actions.keys()) send({ type: 'subscribe', action: id })
    },
    onDisconnected: () => {
      health.value = null
    },
    onMessage: (_ws, event: MessageEvent) => {
      let json: unknown
      try {
        json = JSON.parse(String(event.data))
      } catch {
        return console.warn('[demo server] a message that is not JSON was ignored')
      }
      const parsed = serverMessage.safeParse(json)
      if (!parsed.success) return console.warn('[demo server] a malformed message was ignored', parsed.error.issues[0])
      receive(parsed.data)
    },
  })

  const state = computed<ConnectionState>(() => {
    if (!configured) return 'unconfigured'
    return status.value === 'OPEN' ? 'open' : status.value === 'CONNECTING' ? 'connecting' : 'closed'
  })
  const message = computed(() => {
    switch (state.value) {
      case 'unconfigured': return 'no demo server: start the deck with `npm start`'
      case 'open': return `connected to ${serverUrl}`
      case 'connecting': return 'connecting to the demo server…'
      default: return `demo server not reachable at ${serverUrl} — retrying`
    }
  })

  function send(message: ClientMessage): void {
    if (status.value === 'OPEN') sendRaw(JSON.stringify(message), false)
  }

  function action(id: string): ActionState {
    let entry = actions.get(id)
    if (!entry) {
      entry = { run: shallowRef(null), lastSucceeded: shallowRef(null), refusal: ref(null), loaded: ref(false) }
      actions.set(id, entry)
      send({ type: 'subscribe', action: id })
    }
    return entry
  }

  function receive(message: ServerMessage): void {
    switch (message.type) {
      case 'catalog':
        catalog.value = new Map(message.actions.map((entry) => [entry.id, entry]))
        return
      case 'cluster':
        health.value = message.health
        return
      case 'state': {
        const a = action(message.action)
        a.run.value = message.run
        a.lastSucceeded.value = message.lastSucceeded
        a.refusal.value = null
        a.loaded.value = true
        return
      }
      case 'chunk': {
        const a = actions.get(message.action)
        const run = a?.run.value
        if (!a || !run || run.id !== message.runId || message.chunk.seq !== run.chunks.length) return // or already in the snapshot
        run.chunks.push(message.chunk)
        triggerRef(a.run)
        return
      }
      case 'exit': {
        const a = actions.get(message.action)
        const run = a?.run.value
        if (!a || !run || run.id !== message.runId) return
        Object.assign(run, { status: message.status, endedAt: message.endedAt, exitCode: message.exitCode, error: message.error, truncated: message.truncated })
        triggerRef(a.run)
        return
      }
      case 'error': {
        if (!message.action) return console.warn(`[demo server] ${message.message}`)
        const a = action(message.action)
        a.refusal.value = message.message
        a.loaded.value = true
        return
      }
    }
  }

  return {
    state,
    message,
    health,
    catalog,
    action,
    run: (id: string, params?: Record<string, string | number | boolean>) => send({ type: 'run', action: id, ...(params ? { params } : {}) }),
    cancel: (id: string) => send({ type: 'cancel', action: id }),
  }
}

export type DemoConnection = ReturnType<typeof createConnection>

/** The window's one connection to the demo server (VITE_DEMO_SERVER / VITE_DEMO_TOKEN, set by `npm start`). */
export const useDemoConnection = createSharedComposable((): DemoConnection => createConnection(import.meta.env.VITE_DEMO_SERVER, import.meta.env.VITE_DEMO_TOKEN))
