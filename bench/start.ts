// Start speed: `npm start` (scripts/start.ts) against stock Slidev (the same @slidev/cli on a two-slide deck), each
// timed from the process spawn to the first slide drawn in headless Chromium. Cold: Vite's dependency cache removed
// first, and `npm start` given an empty Node code cache (as after `npm ci`); warm: a second start, caches in place. `npm start` runs against an API server that accepts connections and
// never answers — the cluster health check's worst case, which must not hold back the deck.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import type { Server, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import type { Browser } from 'playwright-core'
import { freePort, repoRoot, untilAnswers } from '../demo-server/src/launch.ts'
import { BROWSER_ARGS, requireBrowser } from '../scripts/lib/browser.ts'

/** A two-slide deck with nothing of ours: its own package.json, so Vite keeps its dependency cache apart from ours. */
export function stockDeck(): string {
  const dir = join(repoRoot, '.bench', 'stock')
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'package.json'), '{ "name": "stock-slidev", "private": true, "type": "module" }\n')
  writeFileSync(join(dir, 'slides.md'), '---\ntheme: default\ntitle: Stock Slidev\nfonts:\n  provider: none\n---\n\n# Stock Slidev\n\nThe first slide.\n\n---\n\n# Second slide\n\nThe second slide.\n')
  return dir
}

/** An API server that accepts TCP connections and never answers. */
async function silentApiServer(): Promise<{ kubeconfig: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((s) => {
    sockets.add(s)
    s.on('error', () => {})
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const port = (server.address() as { port: number }).port
  const kubeconfig = join(mkdtempSync(join(tmpdir(), 'bench-start-')), 'config')
  writeFileSync(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: silent\n  cluster:\n    server: https://127.0.0.1:${port}\ncontexts:\n- name: silent\n  context:\n    cluster: silent\n    user: u\ncurrent-context: silent\nusers:\n- name: u\n  user:\n    token: bench\n`,
  )
  return {
    kubeconfig,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

export interface StartRun {
  /** spawn → the deck's port answers HTTP 200 */
  listeningMs: number
  /** spawn → first slide drawn in Chromium */
  drawnMs: number
  /** spawn → `npm start` printed the cluster's health (ours only) */
  healthMs: number | null
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGINT')
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}

async function timeStart(browser: Browser, kind: 'ours' | 'stock', kubeconfig: string, compileCache: string): Promise<StartRun> {
  const port = await freePort()
  const env = { ...process.env, KUBECONFIG: kubeconfig, CI: '', ...(kind === 'ours' ? { NODE_COMPILE_CACHE: compileCache } : {}) }
  const started = performance.now()
  const since = () => performance.now() - started
  const child =
    kind === 'ours'
      ? spawn(process.execPath, [join(repoRoot, 'scripts', 'start.ts'), '--port', String(port)], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(process.execPath, [join(repoRoot, 'node_modules', '@slidev', 'cli', 'bin', 'slidev.mjs'), join(stockDeck(), 'slides.md'), '--port', String(port)], { cwd: stockDeck(), env, stdio: ['ignore', 'pipe', 'pipe'] })
  let log = ''
  let healthMs: number | null = null
  const onData = (d: Buffer) => {
    log += d.toString()
    if (healthMs === null && /^cluster\s+/m.test(log)) healthMs = since()
  }
  child.stdout!.on('data', onData)
  child.stderr!.on('data', onData)
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } })
  try {
    const url = `http://localhost:${port}/`
    if (!(await untilAnswers(url, { timeoutMs: 120_000, intervalMs: 25, gaveUp: () => child.exitCode !== null }))) {
      throw new Error(child.exitCode !== null ? `${kind} exited early:\n${log}` : `${kind} did not listen within 120 s:\n${log}`)
    }
    const listeningMs = since()
    await page.goto(url, { waitUntil: 'commit', timeout: 120_000 })
    await page.waitForFunction(
      () => {
        const layout = document.querySelector<HTMLElement>('.slidev-page-1 .slidev-layout')
        return !!layout && layout.offsetHeight > 0 && layout.innerText.trim().length > 0
      },
      null,
      { timeout: 120_000, polling: 25 },
    )
    // drawn = two animation frames after the content is in the DOM
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))))
    return { listeningMs, drawnMs: since(), healthMs }
  } finally {
    await page.close()
    await stop(child)
  }
}

export interface StartFigures {
  ours: { cold: StartRun; warm: StartRun }
  stock: { cold: StartRun; warm: StartRun }
  runs: number
}

const median = (runs: StartRun[]): StartRun => {
  const sorted = [...runs].sort((a, b) => a.drawnMs - b.drawnMs)
  return sorted[Math.floor(sorted.length / 2)]!
}

/** Cold and warm starts of both, interleaved so that the machine's load drifts evenly over both; medians of `runs`. */
export async function benchStart(runs = 3): Promise<StartFigures> {
  const api = await silentApiServer()
  const browser = await chromium.launch({ executablePath: requireBrowser(), args: BROWSER_ARGS })
  const caches = { ours: join(repoRoot, 'node_modules', '.vite'), stock: join(stockDeck(), 'node_modules', '.vite') }
  const results = { ours: { cold: [] as StartRun[], warm: [] as StartRun[] }, stock: { cold: [] as StartRun[], warm: [] as StartRun[] } }
  try {
    for (let i = 0; i < runs; i++) {
      for (const kind of ['stock', 'ours'] as const) {
        rmSync(caches[kind], { recursive: true, force: true })
        const compileCache = mkdtempSync(join(tmpdir(), 'bench-compile-cache-'))
        results[kind].cold.push(await timeStart(browser, kind, api.kubeconfig, compileCache))
        results[kind].warm.push(await timeStart(browser, kind, api.kubeconfig, compileCache))
        rmSync(compileCache, { recursive: true, force: true })
      }
    }
  } finally {
    await browser.close()
    await api.close()
  }
  return {
    ours: { cold: median(results.ours.cold), warm: median(results.ours.warm) },
    stock: { cold: median(results.stock.cold), warm: median(results.stock.warm) },
    runs,
  }
}
