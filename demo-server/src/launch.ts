// Shared by `npm start`, `npm run export` and the tests: start the demo server with a fresh token, and a Slidev
// child process that is told where the server is and what the token is. This module imports only Node's own
// modules up front (the server and client-node load inside launchDemoServer), so `npm start` can spawn Slidev
// before the half second it takes to load them.
import { spawn } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { enableCompileCache } from 'node:module'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import type { ParseArgsConfig } from 'node:util'
import type { ClusterAccess } from './kube/cluster.ts'
import type { DemoServer } from './server.ts'
import type { Action } from './catalog/types.ts'

export { REPO_ROOT as repoRoot } from './repoRoot.ts'
import { REPO_ROOT as repoRoot } from './repoRoot.ts'

/**
 * Where `npm run demo:rehearse` keeps its runs: outside the git-ignored run folder, so a presenter may commit them. The
 * deck and the export read it beside `.runs/` when it exists.
 */
export const defaultRecordingDir = join(repoRoot, 'rehearsal', 'recording')

/** The command-line options every launcher of the deck takes for the recording. */
export const recordingOptions = { recording: { type: 'string' }, 'no-recording': { type: 'boolean', default: false } } as const

/**
 * The recording to read: `--recording DIR` (it must exist), none with `--no-recording`, else rehearsal/recording when
 * it exists. A named folder that is missing exits 2 before anything starts.
 */
export function recordingDirOption(command: string, values: { recording?: string; 'no-recording'?: boolean }): string | undefined {
  if (values['no-recording']) {
    if (values.recording !== undefined) {
      console.error(`${command}: --recording and --no-recording contradict each other`)
      process.exit(2)
    }
    return undefined
  }
  if (values.recording === undefined) return existsSync(defaultRecordingDir) ? defaultRecordingDir : undefined
  const dir = resolve(values.recording)
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    console.error(`${command}: no recording at ${dir} (npm run demo:rehearse writes one to rehearsal/recording/)`)
    process.exit(2)
  }
  return dir
}

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

/**
 * Polls `url` until it answers 2xx: true; false when `timeoutMs` passes or `gaveUp()` says to stop (the process that
 * should answer has exited).
 */
export async function untilAnswers(url: string, options: { timeoutMs: number; intervalMs?: number; gaveUp?: () => boolean }): Promise<boolean> {
  const deadline = performance.now() + options.timeoutMs
  for (;;) {
    if (options.gaveUp?.()) return false
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(Math.max(1, Math.ceil(deadline - performance.now()))) })
      await response.body?.cancel() // an unread body holds its connection, and the next poll waits behind it
      if (response.ok) return true
    } catch {
      // not listening yet
    }
    if (performance.now() >= deadline) return false
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 50))
  }
}

/** The URL the demo server will have on `port`: it listens on loopback only (server.ts). */
export const demoServerUrl = (port: number) => `http://127.0.0.1:${port}`

export const deckOrigins = (port: number) => [`http://localhost:${port}`, `http://127.0.0.1:${port}`]

export interface LaunchOptions {
  deckPort: number
  context?: string
  access?: ClusterAccess
  storeDir?: string
  /** a rehearsal's recording read beside the run folder (see recordingDirOption); none when absent */
  recordingDir?: string
  actions?: Action[]
  port?: number
  allowAnyLoopbackOrigin?: boolean
  /** the token the deck must present; a fresh one when absent */
  token?: string
}

/** A per-start secret the deck presents to the demo server. */
export function newToken(): string {
  return randomBytes(24).toString('base64url')
}

export async function launchDemoServer(options: LaunchOptions): Promise<{ server: DemoServer; token: string; access: ClusterAccess }> {
  const [{ loadClusterAccess }, { startDemoServer }] = await Promise.all([import('./kube/cluster.ts'), import('./server.ts')])
  const access = options.access ?? loadClusterAccess(options.context)
  const token = options.token ?? newToken()
  const server = await startDemoServer({
    access,
    token,
    allowedOrigins: deckOrigins(options.deckPort),
    repoRoot,
    storeDir: options.storeDir ?? join(repoRoot, '.runs'),
    recordingDir: options.recordingDir,
    actions: options.actions,
    port: options.port,
    allowAnyLoopbackOrigin: options.allowAnyLoopbackOrigin,
  })
  return { server, token, access }
}

/**
 * Environment a Slidev process needs to reach the demo server (Vite exposes VITE_* to the deck). Only the server's
 * URL is needed, so the deck can start before the server has finished starting.
 */
export function deckEnv(server: Pick<DemoServer, 'url'>, token: string): NodeJS.ProcessEnv {
  return { ...process.env, VITE_DEMO_SERVER: server.url, VITE_DEMO_TOKEN: token }
}

/** Node's on-disk code cache (NODE_COMPILE_CACHE, else Node's own default folder), shared by our processes and Slidev's. */
export const compileCacheDir = process.env.NODE_COMPILE_CACHE || join(tmpdir(), 'node-compile-cache')

/**
 * Turns on the code cache for the modules this process loads from now on: a second start reads compiled bytecode
 * instead of compiling Slidev's, Vite's and client-node's JavaScript again. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
 */
export function useCompileCache(): void {
  enableCompileCache(compileCacheDir)
}

export function spawnSlidev(args: string[], env: NodeJS.ProcessEnv, stdio: 'inherit' | 'pipe' = 'inherit'): ChildProcess {
  const bin = join(repoRoot, 'node_modules', '@slidev', 'cli', 'bin', 'slidev.mjs')
  return spawn(process.execPath, [bin, ...args], { cwd: repoRoot, env: { NODE_COMPILE_CACHE: compileCacheDir, ...env }, stdio })
}

type CliOptions = NonNullable<ParseArgsConfig['options']>

/**
 * The command line of one of our CLIs, parsed by node:util parseArgs in strict mode: an unknown option, a missing
 * value or a stray argument prints what was wrong and the usage line, and exits 2 before anything starts.
 */
export function parseCommandLine<T extends CliOptions>(command: string, options: T, usage: string, argv: string[] = process.argv.slice(2)) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false })
  } catch (error) {
    const e = error as Error & { code?: string }
    const unknown = /Unknown option '([^']+)'/.exec(e.message)?.[1]
    const reason =
      e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown
        ? `unknown option ${unknown}`
        : e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL'
          ? `unexpected argument ${JSON.stringify(/'([^']*)'/.exec(e.message)?.[1] ?? '')}`
          : e.message
    console.error(`${command}: ${reason}\nusage: ${usage}`)
    process.exit(2)
  }
}

/** A TCP port from the command line (0 only where `allowZero`: the OS picks one); anything else exits 2. */
export function portOption(command: string, name: string, value: string | undefined, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback
  const port = /^\d+$/.test(value) ? Number(value) : NaN
  if (!(port <= 65535 && (port >= 1 || (allowZero && port === 0)))) {
    console.error(`${command}: --${name} must be a port number (${allowZero ? 0 : 1}–65535), not ${JSON.stringify(value)}`)
    process.exit(2)
  }
  return port
}

/** `--name value` from argv (kept for scripts that do not parse with parseCommandLine yet). */
export function option(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 ? argv[i + 1] : undefined
}
