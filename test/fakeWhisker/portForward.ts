// pods/portforward for the fake API server, speaking the kubelet's WebSocket port-forward protocol
// (kubernetes pkg/kubelet/cri/streaming/portforward/websocket.go, handleWebSocketStreams): subprotocol
// v4.channel.k8s.io (or channel.k8s.io), two channels per port, data = 0 and error = 1; the server first writes the
// port as a little-endian uint16 on both; then channel 0 carries the TCP bytes both ways. A failure to reach the
// port is written on channel 1 as "error forwarding port P to pod NAME, uid UID: …" and the connection closes.
//
// Here the "pod" is a FakeWhisker (or any 127.0.0.1 port): port-forward connections to `port` of the pods in
// `pods` reach `upstream`; any other port is refused inside the pod, as a real one would be.
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { WebSocketServer, WebSocket } from 'ws'
import type { RawData } from 'ws'
import type { FakeKube, PortForwardRequest } from '../fakeKube/server.ts'

export interface PortForwardTarget {
  /** "namespace/pod" that answer */
  pods: string[]
  /** the container port that is open */
  port: number
  /** where its bytes go */
  upstream: { host: string; port: number }
}

export interface PortForwardBridge {
  /** WebSockets open right now (a cancelled reader must leave none) */
  readonly open: number
  /** every port-forward request: pod, ports, the subprotocols offered and the one chosen ('' when refused) */
  readonly requests: Array<{ pod: string; ports: string[]; offered: string; protocol: string }>
  /** Resolves once no WebSocket is open (or rejects after `ms`). */
  settled(ms?: number): Promise<void>
  detach(): void
}

const PROTOCOLS = ['v4.channel.k8s.io', 'channel.k8s.io']

function frame(channel: number, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([channel]), data])
}

function portBytes(port: number): Buffer {
  const b = Buffer.alloc(2)
  b.writeUInt16LE(port, 0)
  return b
}

const toBuffer = (data: RawData): Buffer => (Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data))

export function attachPortForward(fake: FakeKube, target: PortForwardTarget): PortForwardBridge {
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => PROTOCOLS.find((p) => offered.has(p)) ?? false })
  const sockets = new Set<WebSocket>()
  const requests: PortForwardBridge['requests'] = []

  const handler = (r: PortForwardRequest): void => {
    const entry = { pod: `${r.namespace}/${r.pod}`, ports: r.ports, offered: String(r.req.headers['sec-websocket-protocol'] ?? ''), protocol: '' }
    requests.push(entry)
    const port = Number(r.ports[0])
    if (r.ports.length !== 1 || !Number.isInteger(port) || port < 1 || port > 65535) {
      r.socket.end('HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nquery parameter "port" is required\n')
      return
    }
    wss.handleUpgrade(r.req, r.socket, r.head, (ws) => {
      entry.protocol = ws.protocol
      sockets.add(ws)
      ws.on('close', () => sockets.delete(ws))
      ws.send(frame(0, portBytes(port)))
      ws.send(frame(1, portBytes(port)))
      const name = `${r.namespace}/${r.pod}`
      if (!target.pods.includes(name) || port !== target.port) {
        ws.send(frame(1, Buffer.from(`error forwarding port ${port} to pod ${r.pod}, uid : failed to connect to localhost:${port} inside namespace of pod ${r.pod}: dial tcp4 127.0.0.1:${port}: connect: connection refused`)))
        ws.close()
        return
      }
      let tcp: Socket | undefined = connect(target.upstream.port, target.upstream.host)
      tcp.on('data', (chunk: Buffer) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(frame(0, chunk))
      })
      tcp.on('error', (error) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(frame(1, Buffer.from(`error forwarding port ${port} to pod ${r.pod}, uid : ${error.message}`)))
      })
      tcp.on('close', () => ws.close())
      ws.on('message', (data: RawData) => {
        const b = toBuffer(data)
        if (b[0] === 0 && b.length > 1) tcp?.write(b.subarray(1))
      })
      ws.on('close', () => {
        tcp?.destroy()
        tcp = undefined
      })
    })
  }
  fake.onPortForward(handler)

  return {
    get open() {
      return sockets.size
    },
    requests,
    async settled(ms = 2000) {
      const deadline = Date.now() + ms
      while (sockets.size > 0) {
        if (Date.now() > deadline) throw new Error(`port-forward: ${sockets.size} WebSocket(s) still open after ${ms} ms`)
        await new Promise((r) => setTimeout(r, 20))
      }
    },
    detach() {
      fake.onPortForward(undefined)
      for (const ws of sockets) ws.terminate()
    },
  }
}
