// Hub: WebSocket fan-out. Every window of the deck (audience, presenter, previews) subscribes to the actions
// it shows; a late subscriber first gets the buffered run, then the live chunks. Messages are zod-validated.
import type { WebSocket } from 'ws'
import { clientMessage } from './protocol.ts'
import type { ClusterHealth, ServerMessage } from './protocol.ts'
import type { RunStore, RunEvent } from './runStore.ts'
import type { Runner } from './runner/index.ts'
import type { Catalog } from './catalog/index.ts'

/** What the deck shows for each action before anything runs (the catalog message). */
export type CatalogEntries = () => Extract<ServerMessage, { type: 'catalog' }>['actions']

interface Client {
  socket: WebSocket
  actions: Set<string>
}

export class Hub {
  private readonly clients = new Set<Client>()
  private health: ClusterHealth | null = null
  private readonly unsubscribe: () => void
  private readonly store: RunStore
  private readonly runner: Runner
  private readonly catalog: Catalog
  private readonly entries: CatalogEntries

  constructor(options: { store: RunStore; runner: Runner; catalog: Catalog; entries: CatalogEntries }) {
    this.store = options.store
    this.runner = options.runner
    this.catalog = options.catalog
    this.entries = options.entries
    this.unsubscribe = this.store.subscribe((action, event) => this.onRunEvent(action, event))
  }

  get size(): number {
    return this.clients.size
  }

  attach(socket: WebSocket): void {
    const client: Client = { socket, actions: new Set() }
    this.clients.add(client)
    socket.on('close', () => this.clients.delete(client))
    socket.on('error', () => this.clients.delete(client))
    socket.on('message', (data, isBinary) => this.onMessage(client, data.toString(), isBinary))
    this.send(client, { type: 'catalog', actions: this.entries() })
    if (this.health) this.send(client, { type: 'cluster', health: this.health })
  }

  setHealth(health: ClusterHealth): void {
    const changed = !this.health || this.health.mode !== health.mode || this.health.message !== health.message || this.health.context !== health.context
    this.health = health
    if (changed) for (const client of this.clients) this.send(client, { type: 'cluster', health })
  }

  getHealth(): ClusterHealth | null {
    return this.health
  }

  close(): void {
    this.unsubscribe()
    for (const client of this.clients) client.socket.close(1001, 'demo server stopping')
    this.clients.clear()
  }

  private onMessage(client: Client, text: string, isBinary: boolean): void {
    if (isBinary) return this.send(client, { type: 'error', code: 'bad-message', message: 'binary frames are not accepted' })
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      return this.send(client, { type: 'error', code: 'bad-message', message: 'message is not JSON' })
    }
    const parsed = clientMessage.safeParse(json)
    if (!parsed.success) {
      const detail = parsed.error.issues.map((i) => `${i.path.join('.') || 'message'}: ${i.message}`).join('; ')
      return this.send(client, { type: 'error', code: 'bad-message', message: `malformed message — ${detail}` })
    }
    const message = parsed.data
    if (!this.catalog.get(message.action)) {
      return this.send(client, { type: 'error', code: 'unknown-action', message: `no action "${message.action}" in the catalog`, action: message.action })
    }
    switch (message.type) {
      case 'subscribe':
        client.actions.add(message.action)
        this.sendState(client, message.action)
        return
      case 'run': {
        const subscribed = client.actions.has(message.action)
        client.actions.add(message.action)
        const result = this.runner.start(message.action, message.params ?? {})
        if (!result.ok) return this.send(client, { type: 'error', code: result.code, message: result.message, action: message.action })
        // a joiner that was not subscribed yet has not seen the buffered output: send it
        if (result.joined && !subscribed) this.sendState(client, message.action)
        return
      }
      case 'cancel':
        this.runner.cancel(message.action)
        return
    }
  }

  private sendState(client: Client, action: string): void {
    const { run, lastSucceeded } = this.store.get(action)
    this.send(client, { type: 'state', action, run, lastSucceeded })
  }

  private onRunEvent(action: string, event: RunEvent): void {
    for (const client of this.clients) {
      if (!client.actions.has(action)) continue
      if (event.type === 'started') this.sendState(client, action)
      else if (event.type === 'chunk') this.send(client, { type: 'chunk', action, runId: event.run.id, chunk: event.chunk })
      else {
        const r = event.run
        this.send(client, {
          type: 'exit',
          action,
          runId: r.id,
          status: r.status,
          endedAt: r.endedAt ?? new Date().toISOString(),
          ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}),
          ...(r.error ? { error: r.error } : {}),
          truncated: r.truncated,
        })
      }
    }
  }

  private send(client: Client, message: ServerMessage): void {
    if (client.socket.readyState === client.socket.OPEN) client.socket.send(JSON.stringify(message))
  }
}
