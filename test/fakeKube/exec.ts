// pods/exec over WebSocket, speaking the kubelet's channel protocol (v5/v4.channel.k8s.io, channel.k8s.io).
//
// Frames are binary; byte 0 is the channel: 0 stdin, 1 stdout, 2 stderr, 3 status, 4 resize, and (v5 only)
// 255 = "close this channel" sent by the client. Like the kubelet, the server first sends one empty frame on the
// lowest writable channel, then output, then (v4/v5) a JSON metav1.Status on channel 3, then closes.
import type { IncomingMessage } from 'node:http'
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer, WebSocket } from 'ws'
import type { RawData } from 'ws'
import { findByKind } from './resources.ts'
import { badRequest, failure, notFound } from './status.ts'
import type { V1StatusBody } from './status.ts'
import type { Store } from './store.ts'

export interface ExecScript {
  /** Emitted in order; {delayMs} waits; stdout (a string, or a function called when sending)/stderr strings are sent on channel 1/2 (channel 1 for both with tty). */
  steps?: Array<{ stdout: string | (() => string) } | { stderr: string } | { delayMs: number }>
  /**
   * Exit code reported on the status channel (3): 0 → {status:'Success'}; n>0 → {status:'Failure',
   * reason:'NonZeroExitCode', details:{causes:[{reason:'ExitCode', message:String(n)}]}} as the kubelet does.
   */
  exitCode?: number
  /** Send this exact object on the status channel instead of the one derived from exitCode (e.g. an InternalError). */
  status?: object
  /** Never finish: keep the stream open until the client closes it. */
  hang?: boolean
  /** After the steps, drop the connection WITHOUT sending a status (TCP teardown, the client sees close code 1006). */
  drop?: boolean
  /** Refuse the upgrade with this HTTP status and a v1 Status JSON body (403, 500, 404 ...). */
  httpStatus?: number
}

export interface ExecRequest {
  namespace: string
  pod: string
  /** null when the client did not name one */
  container: string | null
  command: string[]
  /** negotiated subprotocol ('' when none of the client's offers is supported) */
  protocol: string
  stdin: boolean
  stdout: boolean
  stderr: boolean
  tty: boolean
  /** Everything the client wrote on channel 0 so far. */
  stdinData: string
  /** The client sent the v5 close signal for stdin (255, 0). */
  stdinClosed: boolean
  /** Terminal sizes the client sent on channel 4. */
  resizes: Array<{ Width: number; Height: number }>
}

/** Server preference order. */
export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'channel.k8s.io']

export function pickProtocol(offered: Iterable<string>): string | undefined {
  const set = new Set([...offered].map((p) => p.trim()))
  return EXEC_PROTOCOLS.find((p) => set.has(p))
}

/** The status the kubelet writes on channel 3 for an exit code (metav1.Status JSON, no kind/apiVersion). */
export function exitStatus(exitCode: number, command: string[]): object {
  if (exitCode === 0) return { metadata: {}, status: 'Success' }
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  }
}

const truthy = (v: string | null): boolean => v === 'true' || v === '1'

/** Answer an upgrade request with a plain HTTP error (the upgrade is refused). */
export function refuseUpgrade(socket: Duplex, code: number, body: object): void {
  const json = JSON.stringify(body)
  socket.end(
    `HTTP/1.1 ${code} ${STATUS_CODES[code] ?? 'Error'}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(json)}\r\n` +
      'Connection: close\r\n\r\n' +
      json,
  )
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data
  if (Array.isArray(data)) return Buffer.concat(data)
  return Buffer.from(data)
}

export class ExecEndpoint {
  requests: ExecRequest[] = []
  open = 0
  handler: (req: ExecRequest) => ExecScript = () => ({})
  private store: Store
  private sockets = new Set<WebSocket>()
  private wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => pickProtocol(offered) ?? false })

  constructor(store: Store) {
    this.store = store
  }

  /** An authenticated upgrade request for /api/v1/namespaces/{namespace}/pods/{pod}/exec. */
  handle(req: IncomingMessage, socket: Duplex, head: Buffer, namespace: string, pod: string, query: URLSearchParams): void {
    const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').filter((p) => p.trim() !== '')
    const execReq: ExecRequest = {
      namespace,
      pod,
      container: query.get('container') || null,
      command: query.getAll('command'),
      protocol: pickProtocol(offered) ?? '',
      stdin: truthy(query.get('stdin')),
      stdout: truthy(query.get('stdout')),
      stderr: truthy(query.get('stderr')),
      tty: truthy(query.get('tty')),
      stdinData: '',
      stdinClosed: false,
      resizes: [],
    }
    this.requests.push(execReq)

    const refusal = this.validate(execReq)
    if (refusal) return refuseUpgrade(socket, refusal.code, refusal)

    let script: ExecScript
    try {
      script = this.handler(execReq)
    } catch (err) {
      return refuseUpgrade(socket, 500, failure(500, `fake-kube exec handler threw: ${String(err)}`))
    }
    if (script.httpStatus) return refuseUpgrade(socket, script.httpStatus, this.refusalBody(script.httpStatus, execReq))

    this.wss.handleUpgrade(req, socket, head, (ws) => void this.run(ws, execReq, script))
  }

  private validate(r: ExecRequest): V1StatusBody | undefined {
    const pods = findByKind('v1', 'Pod')
    const pod = pods && this.store.get(pods, r.namespace, r.pod)
    if (!pod) return notFound('pods', '', r.pod)
    if (r.command.length === 0) return badRequest('you must specify at least 1 command')
    if (!r.stdin && !r.stdout && !r.stderr) return badRequest('you must specify at least 1 of stdin, stdout, stderr')
    const spec = (pod.spec ?? {}) as Record<string, unknown>
    const names = (['containers', 'initContainers', 'ephemeralContainers'] as const).flatMap((k) =>
      Array.isArray(spec[k]) ? (spec[k] as Array<{ name?: string }>).map((c) => String(c.name)) : [],
    )
    const regular = Array.isArray(spec.containers) ? (spec.containers as unknown[]) : []
    if (r.container === null && regular.length > 1) {
      return badRequest(`a container name must be specified for pod ${r.pod}, choose one of: [${names.join(' ')}]`)
    }
    if (r.container !== null && names.length > 0 && !names.includes(r.container)) {
      return badRequest(`container ${r.container} is not valid for pod ${r.pod}`)
    }
    const phase = (pod.status as { phase?: string } | undefined)?.phase
    if (phase === 'Succeeded' || phase === 'Failed') {
      return badRequest(`cannot exec into a container in a completed pod; current phase is ${phase}`)
    }
    if (!r.protocol) return badRequest(`requested protocol(s) are not supported; supports ${JSON.stringify(EXEC_PROTOCOLS)}`)
    return undefined
  }

  private refusalBody(code: number, r: ExecRequest): V1StatusBody {
    if (code === 403) {
      return failure(
        403,
        `pods "${r.pod}" is forbidden: User "fake-user" cannot create resource "pods/exec" in API group "" in the namespace "${r.namespace}"`,
        'Forbidden',
        { name: r.pod, kind: 'pods' },
      )
    }
    if (code === 404) return notFound('pods', '', r.pod)
    return failure(code, `${STATUS_CODES[code] ?? 'Error'}: exec refused by fake-kube script`)
  }

  private async run(ws: WebSocket, r: ExecRequest, script: ExecScript): Promise<void> {
    this.open++
    this.sockets.add(ws)
    const closed = new Promise<void>((resolve) =>
      ws.on('close', () => {
        this.open--
        this.sockets.delete(ws)
        resolve()
      }),
    )
    ws.on('error', () => {})
    ws.on('message', (data) => {
      const buf = toBuffer(data)
      const channel = buf[0]
      const payload = buf.subarray(1)
      if (channel === 0) r.stdinData += payload.toString('utf8')
      else if (channel === 4) {
        try {
          r.resizes.push(JSON.parse(payload.toString('utf8')) as { Width: number; Height: number })
        } catch {
          // ignore malformed resize frames, as the kubelet does
        }
      } else if (channel === 255 && payload[0] === 0) r.stdinClosed = true
    })

    const isOpen = (): boolean => ws.readyState === WebSocket.OPEN
    const send = (channel: number, text: string): Promise<void> =>
      new Promise((resolve) => {
        if (!isOpen()) return resolve()
        ws.send(Buffer.concat([Buffer.from([channel]), Buffer.from(text, 'utf8')]), () => resolve())
      })

    await send(r.stdout ? 1 : r.stderr ? 2 : 3, '')
    for (const step of script.steps ?? []) {
      if (!isOpen()) return
      if ('delayMs' in step) {
        let timer: NodeJS.Timeout | undefined
        await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, step.delayMs)))])
        clearTimeout(timer)
      } else if ('stdout' in step) {
        // a function is called at the moment of sending (benchmarks stamp the send time into the text)
        if (r.stdout) await send(1, typeof step.stdout === 'function' ? step.stdout() : step.stdout)
      } else if (r.tty ? r.stdout : r.stderr) {
        await send(r.tty ? 1 : 2, step.stderr)
      }
    }
    if (!isOpen() || script.hang) return
    if (script.drop) {
      ws.terminate()
      return
    }
    const status = script.status ?? exitStatus(script.exitCode ?? 0, r.command)
    if (r.protocol === 'channel.k8s.io') {
      // v1 protocol: the error channel carries a plain-text message, and nothing on success.
      const s = status as { status?: string; message?: string }
      if (s.status !== 'Success') await send(3, s.message ?? 'error')
    } else {
      await send(3, JSON.stringify(status))
    }
    if (isOpen()) ws.close(1000)
  }

  /** Terminate every open exec socket and wait until they are closed. */
  async closeAll(): Promise<void> {
    const waits = [...this.sockets].map((ws) => new Promise<void>((resolve) => (ws.readyState === WebSocket.CLOSED ? resolve() : ws.once('close', () => resolve()))))
    for (const ws of this.sockets) ws.terminate()
    await Promise.all(waits)
    this.wss.close()
  }
}
