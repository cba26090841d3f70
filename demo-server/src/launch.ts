// Shared by `npm start`, `npm run export` and the tests: start the demo server with a fresh token, then a
// Slidev child process that is told where the server is and what the token is.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { loadClusterAccess } from './kube/cluster.ts'
import type { ClusterAccess } from './kube/cluster.ts'
import { startDemoServer } from './server.ts'
import type { DemoServer } from './server.ts'
import type { Action } from './catalog/types.ts'

export const repoRoot = join(import.meta.dirname, '..', '..')

/** A port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address ? address.port : 0
      probe.close(() => resolve(port))
    })
  })
}

export const deckOrigins = (port: number) => [`http://localhost:${port}`, `http://127.0.0.1:${port}`]

export interface LaunchOptions {
  deckPort: number
  context?: string
  access?: ClusterAccess
  storeDir?: string
  actions?: Action[]
  port?: number
  allowAnyLoopbackOrigin?: boolean
}

export async function launchDemoServer(options: LaunchOptions): Promise<{ server: DemoServer; token: string; access: ClusterAccess }> {
  const access = options.access ?? loadClusterAccess(options.context)
  const token = randomBytes(24).toString('base64url')
  const server = await startDemoServer({
    access,
    token,
    allowedOrigins: deckOrigins(options.deckPort),
    repoRoot,
    storeDir: options.storeDir ?? join(repoRoot, '.runs'),
    actions: options.actions,
    port: options.port,
    allowAnyLoopbackOrigin: options.allowAnyLoopbackOrigin,
  })
  return { server, token, access }
}

/** Environment a Slidev process needs to reach the demo server (Vite exposes VITE_* to the deck). */
export function deckEnv(server: DemoServer, token: string): NodeJS.ProcessEnv {
  return { ...process.env, VITE_DEMO_SERVER: server.url, VITE_DEMO_TOKEN: token }
}

export function spawnSlidev(args: string[], env: NodeJS.ProcessEnv, stdio: 'inherit' | 'pipe' = 'inherit'): ChildProcess {
  const bin = join(repoRoot, 'node_modules', '@slidev', 'cli', 'bin', 'slidev.mjs')
  return spawn(process.execPath, [bin, ...args], { cwd: repoRoot, env, stdio })
}

/** `--name value` from argv. */
export function option(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 ? argv[i + 1] : undefined
}
