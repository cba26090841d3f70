// One HTTP request to a port inside a pod, carried by the API server's pods/portforward (client-node's PortForward,
// the WebSocket v4.channel.k8s.io protocol): `kubectl port-forward` without a local listening port. Node's own HTTP
// client speaks over a Duplex bridged to the WebSocket, so chunked bodies and event streams are parsed by Node.
//
// Why a port-forward and not the API server's service proxy: README.md in this folder (Whisker's NetworkPolicy
// admits no ingress; a port-forward connects from inside the pod's network namespace).
import { request } from 'node:http'
import type { IncomingMessage } from 'node:http'
import { Duplex, PassThrough, Writable } from 'node:stream'
import { PortForward } from '@kubernetes/client-node'
import type { KubeConfig } from '@kubernetes/client-node'
import type WebSocket from 'ws'
import { describeClusterError } from '../kube/cluster.ts'
import { cancelled, FlowsError } from './errors.ts'

export interface PodPort {
  namespace: string
  pod: string
  port: number
}

export interface TunnelledResponse {
  response: IncomingMessage
  /** Closes the request, the bridge and the WebSocket (idempotent). */
  close(): void
  /** Text the kubelet sent on the port-forward error channel (connection refused inside the pod, …). */
  portForwardErrors(): string
}

/** A socket-like Duplex for node:http: writes go into the tunnel, the tunnel's output is pushed as readable data. */
class TunnelSocket extends Duplex {
  private readonly sink: Writable
  private readonly onRead: () => void
  private readonly onDestroy: () => void
  constructor(sink: Writable, onRead: () => void, onDestroy: () => void) {
    super()
    this.sink = sink
    this.onRead = onRead
    this.onDestroy = onDestroy
  }

  override _read(): void {
    this.onRead()
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.sink.write(chunk, callback)
  }

  // The HTTP client ends its side after the request; the tunnel stays open until the answer is read.
  override _final(callback: (error?: Error | null) => void): void {
    callback()
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.onDestroy()
    callback(error)
  }

  // node:http calls these on a real socket; a tunnel has nothing to tune.
  setTimeout(): this {
    return this
  }
  setNoDelay(): this {
    return this
  }
  setKeepAlive(): this {
    return this
  }
  ref(): this {
    return this
  }
  unref(): this {
    return this
  }
}

/**
 * GET `path` on `target` through a port-forward. Resolves with the response head (the body is still streaming);
 * rejects with a FlowsError. The AbortSignal closes everything, at any point.
 */
export async function getThroughPortForward(
  kc: KubeConfig,
  target: PodPort,
  path: string,
  options: { signal?: AbortSignal; connectTimeoutMs: number; accept: string },
): Promise<TunnelledResponse> {
  const { signal } = options
  if (signal?.aborted) throw cancelled()
  const where = `pods/${target.pod} port ${target.port} in ${target.namespace}`

  let errors = ''
  let ws: WebSocket | undefined
  let closed = false
  const input = new PassThrough()
  const close = (): void => {
    if (closed) return
    closed = true
    input.end()
    socket.destroy()
    if (ws && ws.readyState !== ws.CLOSED) {
      ws.close()
      // a peer that never answers the close handshake: drop the TCP connection
      const hard = setTimeout(() => ws?.terminate(), 1000)
      hard.unref()
    }
  }
  const socket = new TunnelSocket(input, () => ws?.resume(), close)
  const output = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      // the HTTP parser reads at its own pace: stop the WebSocket while it catches up
      if (!socket.push(chunk)) ws?.pause()
      callback()
    },
  })
  const errorSink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (errors.length < 4000) errors += chunk.toString('utf8')
      callback()
    },
  })
  let connectTimer: NodeJS.Timeout | undefined
  const connect = new PortForward(kc, true).portForward(target.namespace, target.pod, [target.port], output, errorSink, input)
  try {
    const opened = await new Promise<WebSocket>((resolve, reject) => {
      connectTimer = setTimeout(() => reject(new FlowsError('unreachable', `the port-forward to ${where} did not open within ${options.connectTimeoutMs / 1000} s`)), options.connectTimeoutMs)
      const onAbort = (): void => reject(cancelled())
      signal?.addEventListener('abort', onAbort, { once: true })
      connect.then(
        (w) => {
          signal?.removeEventListener('abort', onAbort)
          resolve(w as WebSocket)
        },
        (error: unknown) => {
          signal?.removeEventListener('abort', onAbort)
          reject(portForwardFailure(error, where))
        },
      )
    })
    ws = opened
  } catch (error) {
    // the WebSocket may still open after a timeout or cancel: close it when it does
    void connect.then((w) => (w as WebSocket).close(), () => {})
    socket.destroy()
    throw error
  } finally {
    clearTimeout(connectTimer)
  }
  if (signal?.aborted) {
    close()
    throw cancelled()
  }

  ws.on('close', () => socket.push(null))
  ws.on('error', (error: Error) => socket.destroy(error))
  const onAbort = (): void => close()
  signal?.addEventListener('abort', onAbort, { once: true })

  const tunnel = socket
  try {
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request({
        createConnection: () => tunnel,
        method: 'GET',
        path,
        headers: { Host: `localhost:${target.port}`, Accept: options.accept, Connection: 'close' },
      })
      req.on('response', resolve)
      req.on('error', (error) => {
        if (signal?.aborted) return reject(cancelled())
        const detail = errors.trim() ? `: ${firstLine(errors)}` : ` (${error.message})`
        reject(new FlowsError('unreachable', `whisker did not answer through the port-forward to ${where}${detail}`, { cause: error }))
      })
      req.end()
    })
    response.on('close', () => signal?.removeEventListener('abort', onAbort))
    return { response, close, portForwardErrors: () => errors }
  } catch (error) {
    signal?.removeEventListener('abort', onAbort)
    close()
    throw error
  }
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.slice(0, 400) ?? ''
}

/** A failed WebSocket upgrade (403, 404, refused) as a FlowsError. */
function portForwardFailure(error: unknown, where: string): FlowsError {
  const { kind, message } = describeClusterError(error)
  if (kind === 'forbidden') {
    return new FlowsError('forbidden', `the API server refused the port-forward to ${where} (RBAC needs create on pods/portforward in that namespace): ${message}`, { cause: error })
  }
  if (kind === 'not-found') return new FlowsError('not-ready', `the pod for the port-forward (${where}) is gone: ${message}`, { cause: error })
  return new FlowsError('unreachable', `the port-forward to ${where} failed: ${message}`, { cause: error })
}
