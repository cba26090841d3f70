// Reading Calico's flow logs from whisker-backend (Calico v3.31.7) through client-node: find the whisker pod behind
// its Service, open a port-forward to nginx on 8081, GET /whisker-backend/flows (a list, or a watch stream).
//
// Bounded: a list answer is read up to maxBodyBytes and keeps at most maxRecords (newest first, the rest counted in
// `dropped` with a note); a stream is pulled record by record (the WebSocket pauses while the consumer is busy) and
// one event may not exceed maxEventBytes. Cancellable: the AbortSignal closes the HTTP request, the bridge and the
// WebSocket. Every failure is a FlowsError with a kind (errors.ts).
import { CoreV1Api } from '@kubernetes/client-node'
import type { KubeConfig, V1Pod, V1Service } from '@kubernetes/client-node'
import { describeClusterError } from '../kube/cluster.ts'
import { cancelled, FlowsError, notInstalled, PORT_FORWARD_COMMAND } from './errors.ts'
import { getThroughPortForward } from './portForwardHttp.ts'
import type { TunnelledResponse } from './portForwardHttp.ts'
import {
  AGGREGATION_SECONDS,
  errorBody,
  exact,
  FELIX_FLUSH_SECONDS,
  flowList,
  flowRecord,
  flowsPath,
  FLOWS_PATH,
  WHISKER_NAMESPACE,
  WHISKER_PORT,
  WHISKER_SERVICE,
} from './whiskerApi.ts'
import type { FlowRecord, FlowsQuery } from './whiskerApi.ts'

export interface ReaderOptions {
  /** largest list answer read, bytes (default 16 MiB) */
  maxBodyBytes?: number
  /** records kept from one list (default 5000, newest first) */
  maxRecords?: number
  /** largest single stream event, bytes (default 256 KiB) */
  maxEventBytes?: number
  /** port-forward and first-byte deadline, ms (default 10 s) */
  connectTimeoutMs?: number
}

export interface ListRequest {
  /** flows with a source OR a destination in one of these namespaces */
  namespaces: readonly string[]
  /** the window, ms since the epoch; widened by Goldmane's aggregation (see windowQuery) */
  start: number
  end: number
  signal?: AbortSignal
}

export interface FlowsList {
  records: FlowRecord[]
  /** records left out by maxRecords (the oldest) */
  dropped: number
  notes: string[]
  /** the whisker pod read */
  pod: string
  /** what a presenter would type for the same answer */
  commands: string[]
  /** the seconds sent as startTimeGte / startTimeLt */
  query: { startTimeGte: number; startTimeLt: number }
}

export interface StreamRequest {
  namespaces: readonly string[]
  /** backfill from this time (ms since the epoch); omitted = from now on (api.proto:75-81) */
  since?: number
  signal?: AbortSignal
}

export interface FlowStream {
  pod: string
  commands: string[]
  /** Records as whisker-backend sends them; ends when cancelled, throws FlowsError('stream-dropped') if the server ends it. */
  records: AsyncGenerator<FlowRecord, void, undefined>
}

/**
 * The list query for a window: a probe at time t is in Felix's interval starting in (t-15 s, t], which Goldmane files
 * in the bucket containing that start; so the buckets that can hold it start after t-30 s and end by t+15 s.
 */
export function windowQuery(startMs: number, endMs: number): { startTimeGte: number; startTimeLt: number } {
  return {
    startTimeGte: Math.floor(startMs / 1000) - AGGREGATION_SECONDS - FELIX_FLUSH_SECONDS,
    startTimeLt: Math.ceil(endMs / 1000) + AGGREGATION_SECONDS,
  }
}

/** The curl line for a query, run after PORT_FORWARD_COMMAND. */
export function curlCommand(query: FlowsQuery): string {
  const args = ['curl', '-sG']
  if (query.watch) args.push('-N')
  args.push(`'http://localhost:${WHISKER_PORT}${FLOWS_PATH}'`)
  if (query.watch) args.push('-d watch=true')
  if (query.startTimeGte !== undefined) args.push(`-d startTimeGte=${query.startTimeGte}`)
  if (query.startTimeLt !== undefined) args.push(`-d startTimeLt=${query.startTimeLt}`)
  if (query.filters) args.push(`--data-urlencode 'filters=${JSON.stringify(query.filters)}'`)
  return args.join(' ')
}

function checkNamespaces(namespaces: readonly string[]): void {
  if (namespaces.length === 0) throw new FlowsError('malformed', 'name at least one namespace to read flows for')
  for (const ns of namespaces) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns) || ns.length > 63) throw new FlowsError('malformed', `"${ns}" is not a namespace name`)
  }
}

const inNamespaces = (namespaces: readonly string[]) => (r: FlowRecord): boolean => namespaces.includes(r.source_namespace) || namespaces.includes(r.dest_namespace)

/** Resolves with `promise`, or rejects with cancelled() as soon as the signal aborts (an API call has no stream to close). */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise
  promise.catch(() => {}) // a late failure after the cancel is nobody's to handle
  if (signal.aborted) return Promise.reject(cancelled())
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(cancelled())
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

function apiFailure(error: unknown, step: string): FlowsError {
  if (error instanceof FlowsError) return error
  const { kind, message } = describeClusterError(error)
  if (kind === 'forbidden') return new FlowsError('forbidden', `the API server refused to ${step}: ${message}`, { cause: error })
  if (kind === 'unreachable' || kind === 'timeout') return new FlowsError('unreachable', `could not ${step}: ${message}`, { cause: error })
  return new FlowsError('unreachable', `could not ${step}: ${message}`, { cause: error })
}

const isReady = (pod: V1Pod): boolean =>
  pod.status?.phase === 'Running' && !pod.metadata?.deletionTimestamp && (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')

export class WhiskerFlowsReader {
  private readonly kc: KubeConfig
  private readonly maxBodyBytes: number
  private readonly maxRecords: number
  private readonly maxEventBytes: number
  private readonly connectTimeoutMs: number

  constructor(kc: KubeConfig, options: ReaderOptions = {}) {
    this.kc = kc
    this.maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024
    this.maxRecords = options.maxRecords ?? 5000
    this.maxEventBytes = options.maxEventBytes ?? 256 * 1024
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000
  }

  /** The Ready whisker pod and the port nginx listens on, read from Service calico-system/whisker. */
  async locate(signal?: AbortSignal): Promise<{ pod: string; port: number }> {
    if (signal?.aborted) throw cancelled()
    const core = this.kc.makeApiClient(CoreV1Api)
    let service: V1Service
    try {
      service = await raceAbort(core.readNamespacedService({ name: WHISKER_SERVICE, namespace: WHISKER_NAMESPACE }), signal)
    } catch (error) {
      if (error instanceof FlowsError) throw error
      if (describeClusterError(error).kind === 'not-found') throw notInstalled(`there is no Service ${WHISKER_NAMESPACE}/${WHISKER_SERVICE}`)
      throw apiFailure(error, `read Service ${WHISKER_NAMESPACE}/${WHISKER_SERVICE}`)
    }
    const selector = Object.entries(service.spec?.selector ?? {}).map(([k, v]) => `${k}=${v}`).join(',')
    if (!selector) throw new FlowsError('not-ready', `Service ${WHISKER_NAMESPACE}/${WHISKER_SERVICE} selects no pods (it has no selector)`)
    const declared = service.spec?.ports?.[0]
    const port = typeof declared?.targetPort === 'number' ? declared.targetPort : (declared?.port ?? WHISKER_PORT)
    let pods: V1Pod[]
    try {
      pods = (await raceAbort(core.listNamespacedPod({ namespace: WHISKER_NAMESPACE, labelSelector: selector }), signal)).items
    } catch (error) {
      throw apiFailure(error, `list the pods of Service ${WHISKER_NAMESPACE}/${WHISKER_SERVICE}`)
    }
    const ready = pods.find(isReady)
    if (!ready?.metadata?.name) {
      const seen = pods.map((p) => `${p.metadata?.name} (${p.status?.phase ?? 'no phase'})`).join(', ') || 'none'
      throw new FlowsError('not-ready', `no Ready pod behind Service ${WHISKER_NAMESPACE}/${WHISKER_SERVICE} (${selector}); pods: ${seen}`)
    }
    return { pod: ready.metadata.name, port }
  }

  /** Flows touching `namespaces` in the window: two queries (by source, by destination namespace), merged. */
  async list(req: ListRequest): Promise<FlowsList> {
    checkNamespaces(req.namespaces)
    if (!(req.end >= req.start)) throw new FlowsError('malformed', 'the window ends before it starts')
    const { pod, port } = await this.locate(req.signal)
    const window = windowQuery(req.start, req.end)
    // Goldmane ANDs filter fields (goldmane/pkg/types/filters.go:55-76): "source or destination in these namespaces"
    // takes one query per side.
    const queries: FlowsQuery[] = [
      { ...window, filters: { source_namespaces: exact(req.namespaces) } },
      { ...window, filters: { dest_namespaces: exact(req.namespaces) } },
    ]
    const answers = await Promise.all(queries.map((q) => this.getList({ pod, port }, q, req.signal)))
    const seen = new Set<string>()
    const all: FlowRecord[] = []
    for (const record of answers.flat()) {
      const key = JSON.stringify(record)
      if (seen.has(key)) continue
      seen.add(key)
      all.push(record)
    }
    all.sort((a, b) => Date.parse(b.end_time) - Date.parse(a.end_time) || Date.parse(b.start_time) - Date.parse(a.start_time))
    const records = all.slice(0, this.maxRecords)
    const dropped = all.length - records.length
    const notes = dropped > 0 ? [`${dropped} older flow record${dropped === 1 ? '' : 's'} left out (the reader keeps ${this.maxRecords})`] : []
    return { records, dropped, notes, pod, commands: [PORT_FORWARD_COMMAND, ...queries.map(curlCommand)], query: window }
  }

  /**
   * The watch stream, from `since` (backfilled by Goldmane) or from now on, keeping records that touch `namespaces`.
   * Goldmane ANDs filter fields, so the OR across source and destination is applied here, on one stream.
   */
  async stream(req: StreamRequest): Promise<FlowStream> {
    checkNamespaces(req.namespaces)
    const { pod, port } = await this.locate(req.signal)
    const query: FlowsQuery = { watch: true, startTimeGte: req.since === undefined ? 0 : Math.floor(req.since / 1000) }
    const tunnel = await this.open({ pod, port }, query, 'text/event-stream', req.signal)
    const type = String(tunnel.response.headers['content-type'] ?? '')
    if (!type.startsWith('text/event-stream')) {
      // whisker-backend answers a failed stream request with a JSON error body instead (handlers/v1/flows.go:69-73)
      const text = await this.readBody(tunnel, req.signal)
      throw this.unexpectedBody(text, tunnel.response.statusCode ?? 0, 'a watch')
    }
    return { pod, commands: [PORT_FORWARD_COMMAND, curlCommand(query)], records: this.events(tunnel, inNamespaces(req.namespaces), req.signal) }
  }

  private async open(target: { pod: string; port: number }, query: FlowsQuery, accept: string, signal?: AbortSignal): Promise<TunnelledResponse> {
    const tunnel = await getThroughPortForward(this.kc, { namespace: WHISKER_NAMESPACE, pod: target.pod, port: target.port }, flowsPath(query), {
      signal,
      connectTimeoutMs: this.connectTimeoutMs,
      accept,
    })
    const status = tunnel.response.statusCode ?? 0
    if (status === 404) {
      tunnel.close()
      throw new FlowsError('malformed', `whisker answered 404 for ${FLOWS_PATH}: this whisker-backend does not serve the flows API of Calico v3.31`)
    }
    if (status === 502 || status === 503 || status === 504) {
      tunnel.close()
      throw new FlowsError('unreachable', `whisker's nginx answered ${status}: whisker-backend (localhost:3002 in the pod) is not answering`)
    }
    return tunnel
  }

  private async getList(target: { pod: string; port: number }, query: FlowsQuery, signal?: AbortSignal): Promise<FlowRecord[]> {
    const tunnel = await this.open(target, query, 'application/json', signal)
    const text = await this.readBody(tunnel, signal)
    const status = tunnel.response.statusCode ?? 0
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      throw new FlowsError('malformed', `whisker-backend answered ${status} with something that is not JSON: ${JSON.stringify(text.slice(0, 200))}`)
    }
    const error = errorBody.safeParse(json)
    if (error.success) {
      throw new FlowsError('backend-error', `whisker-backend answered ${status} "${error.data.error}"${status === 200 ? ' (it reports Goldmane failures this way: is Goldmane running?)' : ''}`)
    }
    if (status !== 200) throw new FlowsError('malformed', `whisker-backend answered ${status}: ${JSON.stringify(text.slice(0, 200))}`)
    const list = flowList.safeParse(json)
    if (!list.success) throw new FlowsError('malformed', `whisker-backend's list is not the v3.31 shape: ${list.error.issues[0]?.message ?? ''} at ${list.error.issues[0]?.path.join('.') ?? ''}`)
    return (list.data.items ?? []).map((item, i) => parseRecord(item, `items[${i}]`))
  }

  /** The whole body, up to maxBodyBytes; then the tunnel is closed. */
  private async readBody(tunnel: TunnelledResponse, signal?: AbortSignal): Promise<string> {
    const chunks: Buffer[] = []
    let size = 0
    try {
      for await (const chunk of tunnel.response as AsyncIterable<Buffer>) {
        size += chunk.length
        if (size > this.maxBodyBytes) {
          throw new FlowsError('too-large', `whisker-backend's answer is larger than ${Math.round(this.maxBodyBytes / 1024 / 1024)} MiB: narrow the window or the namespaces`)
        }
        chunks.push(chunk)
      }
    } catch (error) {
      if (signal?.aborted) throw cancelled()
      if (error instanceof FlowsError) throw error
      throw new FlowsError('unreachable', `the answer from whisker-backend was cut off: ${(error as Error).message}`, { cause: error })
    } finally {
      tunnel.close()
    }
    if (signal?.aborted) throw cancelled()
    return Buffer.concat(chunks).toString('utf8')
  }

  private unexpectedBody(text: string, status: number, what: string): FlowsError {
    try {
      const error = errorBody.safeParse(JSON.parse(text))
      if (error.success) return new FlowsError('backend-error', `whisker-backend refused ${what} (${status}): "${error.data.error}"`)
    } catch {
      // not JSON: reported below
    }
    return new FlowsError('malformed', `whisker-backend answered ${what} with ${status} and no event stream: ${JSON.stringify(text.slice(0, 200))}`)
  }

  /**
   * Server-sent events, "data: <json>\n\n" each (apiutil/eventstream.go:67-80), or "error: <text>\n\n"
   * (eventstream.go:56-64). Identical records for the same start time are passed once, as the Whisker UI does
   * (whisker/src/features/flowLogs/utils/index.ts:33-67): only the keys of the newest start time are remembered.
   */
  private async *events(tunnel: TunnelledResponse, keep: (r: FlowRecord) => boolean, signal?: AbortSignal): AsyncGenerator<FlowRecord, void, undefined> {
    let buffer = ''
    let received = 0
    let dedupeStart = ''
    let dedupeKeys = new Set<string>()
    try {
      for await (const chunk of tunnel.response as AsyncIterable<Buffer>) {
        buffer += chunk.toString('utf8')
        let end: number
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const event = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const record = this.parseEvent(event, received)
          if (!record) continue
          received++
          if (record.start_time !== dedupeStart) {
            dedupeStart = record.start_time
            dedupeKeys = new Set()
          }
          const key = JSON.stringify(record)
          if (dedupeKeys.has(key)) continue
          dedupeKeys.add(key)
          if (keep(record)) yield record
        }
        if (buffer.length > this.maxEventBytes) {
          throw new FlowsError('too-large', `a flow event from whisker-backend is larger than ${Math.round(this.maxEventBytes / 1024)} KiB`)
        }
      }
    } catch (error) {
      if (signal?.aborted) return
      if (error instanceof FlowsError) throw error
      throw new FlowsError('stream-dropped', `the flow stream broke after ${received} record${received === 1 ? '' : 's'}: ${(error as Error).message}`, { cause: error })
    } finally {
      tunnel.close()
    }
    if (signal?.aborted) return
    throw new FlowsError('stream-dropped', `whisker-backend ended the flow stream after ${received} record${received === 1 ? '' : 's'} (Goldmane's stream stopped: handlers/v1/flows.go:77-91)`)
  }

  private parseEvent(event: string, index: number): FlowRecord | undefined {
    let data = ''
    for (const line of event.split('\n')) {
      if (line.startsWith('data:')) data += line.slice(line.startsWith('data: ') ? 6 : 5)
      else if (line.startsWith('error:')) throw new FlowsError('backend-error', `whisker-backend sent an error on the stream: ${line.slice(6).trim()}`)
    }
    if (!data) return undefined
    let json: unknown
    try {
      json = JSON.parse(data)
    } catch {
      throw new FlowsError('malformed', `stream event ${index} is not JSON: ${JSON.stringify(data.slice(0, 200))}`)
    }
    return parseRecord(json, `stream event ${index}`)
  }
}

/** One record against the v3.31.7 FlowResponse schema, or a FlowsError naming the first bad field. */
export function parseRecord(json: unknown, where: string): FlowRecord {
  const parsed = flowRecord.safeParse(json)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  throw new FlowsError('malformed', `${where} is not a v3.31 flow record: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`)
}
