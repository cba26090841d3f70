// A fake whisker pod for tests: nginx's routing on :8081 in front of a whisker-backend serving GET /flows (a list, or
// the watch stream as server-sent events) over records given by the test, in the JSON of Calico v3.31.7 (records.ts
// names the Go types). Real HTTP on 127.0.0.1; test/fakeWhisker/portForward.ts carries a client-node port-forward
// from the fake API server to it.
//
// What it copies from the release (projectcalico/calico v3.31.7 unless noted):
// - routing: nginx `location /whisker-backend/` strips the prefix and proxies to localhost:3002; any other path is
//   the UI (index.html, 200: `error_page 404 =200 /index.html`); 502 when whisker-backend does not answer
//   (tigera/operator v1.40.15 pkg/render/whisker/nginx-v4.conf). Unknown backend paths: 404 "404 page not found".
// - list: {"total":{"totalPages":0|1},"items":[…]|null} (lib/httpmachinery/pkg/apiutil/response.go:44-52,
//   goldmane/pkg/storage/index.go:135-147), newest start first (goldmane/pkg/storage/ring_index.go:62-65), one
//   record per flow key aggregated over the buckets in [startTimeGte, startTimeLt) (diachronic_flow.go:197-290:
//   start = earliest bucket start, end = latest bucket end, counters summed). Simplification: a key whose only
//   bucket is still open is left out, where Goldmane would list it with zero times.
// - filters: JSON in `filters`, form-decoded then unescaped once more (codec/decode.go:69-82); fields AND, values OR
//   (goldmane/pkg/types/filters.go:55-76); startTimeGte/Lt: 0 and negative values as api.proto:27-41 says.
// - Goldmane failing: HTTP 200 with {"error":"Internal Server Error"} (apiutil/response.go:184-192 writes no status).
// - stream: text/event-stream, "data: <json>\n\n" per record (apiutil/eventstream.go:67-80); a backfill of the
//   buckets since startTimeGte when it is not 0, then each bucket's records as they arrive (stream.go /
//   bucket_ring.go:680-717: one record per key per 15 s bucket).
// Test data only.
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { GoFlowResponse } from './records.ts'

export interface StoredRecord {
  record: GoFlowResponse
  /** when Goldmane has it (ms since the epoch): later = a late record, invisible to lists and streams until then */
  availableAt: number
}

export interface FakeWhiskerOptions {
  /** what whisker-backend does instead of answering: */
  mode?: 'ok' | 'goldmane-down' | 'backend-down' | 'not-json' | 'bad-record' | 'old-api'
  /** break each watch stream's connection (no end of the body) after this many events */
  dropStreamAfter?: number
}

export interface FakeWhisker {
  /** http://127.0.0.1:PORT (the pod's :8081) */
  url: string
  port: number
  options: FakeWhiskerOptions
  add(record: GoFlowResponse, availableAt?: number): void
  readonly records: StoredRecord[]
  /** Every request seen: path and parsed query. */
  readonly requests: Array<{ path: string; query: Record<string, string> }>
  /** HTTP requests still open (a cancelled reader must leave none). */
  readonly openRequests: number
  /** Resolves once no request is open (or rejects after `ms`). */
  settled(ms?: number): Promise<void>
  close(): Promise<void>
}

const HTML = '<!doctype html><html><head><title>Calico Whisker</title></head><body><div id="root"></div></body></html>\n'
const BAD_GATEWAY = '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n'

interface Filter {
  source_namespaces?: Array<{ value: string }>
  dest_namespaces?: Array<{ value: string }>
  source_names?: Array<{ value: string }>
  dest_names?: Array<{ value: string }>
  protocols?: Array<{ value: string }>
  dest_ports?: Array<{ value: number }>
  actions?: string[]
}

const seconds = (iso: string): number => Date.parse(iso) / 1000

function matches(filter: Filter, r: GoFlowResponse): boolean {
  const any = <T>(list: T[] | undefined, test: (v: T) => boolean): boolean => !list || list.length === 0 || list.some(test)
  const ns = (stored: string) => (f: { value: string }) => f.value === stored || (f.value === 'Global' && stored === '-')
  return any(filter.source_namespaces, ns(r.source_namespace)) &&
    any(filter.dest_namespaces, ns(r.dest_namespace)) &&
    any(filter.source_names, (f) => f.value === r.source_name) &&
    any(filter.dest_names, (f) => f.value === r.dest_name) &&
    any(filter.protocols, (f) => f.value === r.protocol) &&
    any(filter.dest_ports, (f) => f.value === r.dest_port) &&
    any(filter.actions, (a) => a === r.action)
}

/** The flow key: everything but times and counters (goldmane/pkg/types/flow.go FlowKey). */
function keyOf(r: GoFlowResponse): string {
  const { start_time: _s, end_time: _e, packets_in: _pi, packets_out: _po, bytes_in: _bi, bytes_out: _bo, ...key } = r
  return JSON.stringify(key)
}

class FakeWhiskerServer implements FakeWhisker {
  url = ''
  port = 0
  options: FakeWhiskerOptions
  readonly records: StoredRecord[] = []
  readonly requests: Array<{ path: string; query: Record<string, string> }> = []
  private open = new Set<ServerResponse>()
  private sockets = new Set<Socket>()
  private server: Server
  private streams = new Set<{ res: ServerResponse; filter: Filter; sent: number; timer: NodeJS.Timeout }>()

  constructor(options: FakeWhiskerOptions) {
    this.options = options
    this.server = createServer((req, res) => this.onRequest(req, res))
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket)
      socket.on('close', () => this.sockets.delete(socket))
    })
  }

  get openRequests(): number {
    return this.open.size
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()))
    this.port = (this.server.address() as AddressInfo).port
    this.url = `http://127.0.0.1:${this.port}`
  }

  add(record: GoFlowResponse, availableAt = Date.now()): void {
    this.records.push({ record, availableAt })
  }

  async settled(ms = 2000): Promise<void> {
    const deadline = Date.now() + ms
    while (this.open.size > 0) {
      if (Date.now() > deadline) throw new Error(`fake whisker: ${this.open.size} request(s) still open after ${ms} ms`)
      await new Promise((r) => setTimeout(r, 20))
    }
  }

  async close(): Promise<void> {
    for (const s of this.streams) clearInterval(s.timer)
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve())
      for (const socket of this.sockets) socket.destroy()
    })
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.open.add(res)
    res.on('close', () => this.open.delete(res))
    const url = new URL(req.url ?? '/', 'http://localhost')
    this.requests.push({ path: url.pathname, query: Object.fromEntries(url.searchParams) })
    // nginx
    if (!url.pathname.startsWith('/whisker-backend/')) {
      res.writeHead(200, { 'Content-Type': 'text/html' })
      return void res.end(HTML)
    }
    if (this.options.mode === 'backend-down') {
      res.writeHead(502, { 'Content-Type': 'text/html' })
      return void res.end(BAD_GATEWAY)
    }
    // whisker-backend
    const path = url.pathname.slice('/whisker-backend'.length)
    if (req.method !== 'GET' || path !== '/flows' || this.options.mode === 'old-api') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' })
      return void res.end('404 page not found\n')
    }
    const q = url.searchParams
    let filter: Filter = {}
    const filterText = q.get('filters')
    if (filterText) {
      try {
        filter = JSON.parse(decodeURIComponent(filterText.replaceAll('+', ' '))) as Filter
      } catch (error) {
        return this.json(res, 400, { error: `failed to decode filters: ${(error as Error).message}` })
      }
    }
    const ints: Record<string, number> = {}
    for (const name of ['startTimeGte', 'startTimeLt']) {
      const v = q.get(name)
      if (v === null) continue
      if (!/^-?\d+$/.test(v)) return this.json(res, 400, { error: `failed to decode ${name}: strconv.ParseInt: parsing "${v}": invalid syntax` })
      ints[name] = Number(v)
    }
    if (this.options.mode === 'goldmane-down') return this.json(res, 200, { error: 'Internal Server Error' })
    if (q.get('watch') === 'true') return this.stream(res, filter, ints.startTimeGte ?? 0)
    return this.list(res, filter, ints.startTimeGte ?? 0, ints.startTimeLt ?? 0)
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    const text = `${JSON.stringify(body)}\n`
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) })
    res.end(text)
  }

  private list(res: ServerResponse, filter: Filter, gteIn: number, ltIn: number): void {
    if (this.options.mode === 'not-json') {
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' })
      return void res.end('{"total":{"totalPages":1},"items":[{"start_time":')
    }
    const now = Math.floor(Date.now() / 1000)
    const oldest = Math.min(now, ...this.records.map((s) => seconds(s.record.start_time)))
    const gte = gteIn < 0 ? now + gteIn : gteIn === 0 ? oldest : gteIn
    const lt = ltIn < 0 ? now + ltIn : ltIn === 0 ? now : ltIn
    if (gte >= lt) return this.json(res, 200, { error: 'Internal Server Error' }) // Goldmane refuses the range: handlers/v1/flows.go:104-106
    const byKey = new Map<string, GoFlowResponse>()
    for (const { record, availableAt } of this.records) {
      if (availableAt > Date.now() || !matches(filter, record)) continue
      const start = seconds(record.start_time)
      const end = seconds(record.end_time)
      if (start < gte || end > lt) continue
      const key = keyOf(record)
      const prev = byKey.get(key)
      if (!prev) {
        byKey.set(key, { ...record })
        continue
      }
      if (start < seconds(prev.start_time)) prev.start_time = record.start_time
      if (end > seconds(prev.end_time)) prev.end_time = record.end_time
      prev.packets_in += record.packets_in
      prev.packets_out += record.packets_out
      prev.bytes_in += record.bytes_in
      prev.bytes_out += record.bytes_out
    }
    const items = [...byKey.values()].sort((a, b) => seconds(b.start_time) - seconds(a.start_time))
    if (this.options.mode === 'bad-record' && items[0]) (items[0] as unknown as Record<string, unknown>).dest_port = '9080'
    this.json(res, 200, { total: { totalPages: items.length === 0 ? 0 : 1 }, items: items.length === 0 ? null : items })
  }

  private stream(res: ServerResponse, filter: Filter, gteIn: number): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' })
    res.flushHeaders()
    const now = Date.now()
    const gte = gteIn < 0 ? Math.floor(now / 1000) + gteIn : gteIn
    // backfill: what Goldmane already holds from gte on (none when gte is 0: "now"); later records as they arrive
    const past = new Set(this.records.filter((s) => s.availableAt <= now && (gte === 0 || seconds(s.record.start_time) < gte)))
    const sent = new Set<StoredRecord>()
    const entry = { res, filter, sent: 0, timer: setInterval(() => flush(), 10) }
    const flush = (): void => {
      for (const s of [...this.records].sort((a, b) => a.availableAt - b.availableAt)) {
        if (past.has(s) || sent.has(s) || s.availableAt > Date.now() || !matches(filter, s.record)) continue
        sent.add(s)
        if (this.options.mode === 'bad-record') res.write(`data: ${JSON.stringify({ ...s.record, reporter: 'Sideways' })}\n\n`)
        else res.write(`data: ${JSON.stringify(s.record)}\n\n`)
        entry.sent++
        if (this.options.dropStreamAfter !== undefined && entry.sent >= this.options.dropStreamAfter) {
          // the connection breaks once what was written has left (no end of the chunked body: a drop, not an end)
          clearInterval(entry.timer)
          res.socket?.end()
          setTimeout(() => res.socket?.destroy(), 50)
          return
        }
      }
    }
    this.streams.add(entry)
    res.on('close', () => {
      clearInterval(entry.timer)
      this.streams.delete(entry)
    })
    flush()
  }
}

export async function startFakeWhisker(options: FakeWhiskerOptions = {}): Promise<FakeWhisker> {
  const server = new FakeWhiskerServer(options)
  await server.listen()
  return server
}
