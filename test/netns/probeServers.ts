// Listeners for the probe tests, run inside the "server" network namespace:
//   node test/netns/probeServers.ts ADDR:PORT:MODE ...
// MODE: http (answers 200 at once) · slow (accepts at once, answers after SLOW_MS: a cold JVM, a busy node) ·
// close (accepts, closes without a byte). Prints "ready" on stdout once every listener is bound.
import { createServer as createHttpServer } from 'node:http'
import { createServer as createTcpServer } from 'node:net'
import type { Server } from 'node:net'

export const SLOW_MS = 5000

type Mode = 'http' | 'slow' | 'close'

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
}

function make(mode: Mode): Server {
  if (mode === 'http') return createHttpServer((_req, res) => res.end('ok\n'))
  if (mode === 'close') return createTcpServer((socket) => socket.destroy())
  return createTcpServer((socket) => {
    socket.on('error', () => {})
    const timer = setTimeout(() => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n'), SLOW_MS)
    socket.on('close', () => clearTimeout(timer))
  })
}

async function main(): Promise<void> {
  const specs = process.argv.slice(2)
  if (specs.length === 0) throw new Error('usage: probeServers.ts ADDR:PORT:MODE ...')
  for (const spec of specs) {
    const m = /^([\d.]+):(\d+):(http|slow|close)$/.exec(spec)
    if (!m) throw new Error(`bad listener ${spec}: ADDR:PORT:http|slow|close`)
    await listen(make(m[3] as Mode), m[1]!, Number(m[2]))
  }
  process.stdout.write('ready\n')
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    process.stderr.write(`probeServers: ${String(error)}\n`)
    process.exit(1)
  })
}
