// Streaming benchmarks: exec byte → slide DOM latency, and 5 MB of output while the page stays responsive. Real pieces
// end to end: fake API server → client-node exec → run store → hub → WebSocket → LiveRun in headless Chromium. The
// latency is measured twice: on a calm deck (every slide mounted, as minutes before a talk) — the figure with a goal —
// and right after the deck opened, while Slidev mounts every slide in the background (its "preload all slides after
// 3 s"), which is where the long tail came from. Each line is stamped per hop, so a tail shows where it arises.
// Prints figures; asserts nothing.
import { startFakeKube } from '../test/fakeKube/server.ts'
import { labObjects } from '../test/support/labObjects.ts'
import { demoServerFor, freePort, launchBrowser, startDeck } from '../test/support/deck.ts'

export interface Latency {
  p50: number
  p95: number
  max: number
  samples: number
  /** the same lines, per hop: fake API server → run store (demo server), → the browser's WebSocket, → slide DOM */
  hops: Array<{ hop: string; p50: number; p95: number; max: number }>
}

export interface StreamingFigures {
  /** on a calm deck: the figures with a goal */
  latencyP50: number
  latencyP95: number
  latencyMax: number
  samples: number
  hops: Latency['hops']
  /** right after the deck opened, while Slidev mounts every slide */
  opening: Latency
  bigBytes: number
  bigSeconds: number
  longestTaskMs: number
  longTasks: number
  /** characters of output the slide holds at the end, and whether it shows the 2 MB truncation note */
  domChars: number
  truncationShown: boolean
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
const wallNow = () => performance.timeOrigin + performance.now()

export async function benchStreaming(entry = process.env.DECK_ENTRY ?? 'slides.md'): Promise<StreamingFigures> {
  const fake = await startFakeKube({ objects: labObjects() })
  const deck = await startDeck({ token: 'bench-token-0123456789abcdef', demoPort: await freePort(), entry })
  const server = await demoServerFor(deck, { access: { kubeConfig: fake.kubeConfig('bench'), context: 'bench', server: fake.url, problem: null } })
  const browser = await launchBrowser()
  try {
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } })
    // every WebSocket message carrying a marker is stamped on arrival, before the deck's own handler sees it
    await page.addInitScript(() => {
      const w = window as unknown as { __sock: Record<string, number> }
      w.__sock = {}
      const Native = window.WebSocket
      window.WebSocket = class extends Native {
        constructor(url: string | URL, protocols?: string | string[]) {
          super(url, protocols)
          this.addEventListener('message', (e: MessageEvent) => {
            const now = performance.timeOrigin + performance.now()
            // a run's first state message carries the last successful run (the previous round's lines): not these
            if (typeof e.data === 'string' && e.data.startsWith('{"type":"chunk"')) for (const m of e.data.matchAll(/⟦(\d+):[\d.]+⟧/g)) w.__sock[m[1]!] ??= now
          })
        }
      }
    })
    await page.goto(`${deck.deckUrl}/demo-dev1`)
    const action = 'probe-ratings-productpage'
    const root = page.locator(`.slidev-page [data-action="${action}"]`).first()
    await root.getByTestId('run').waitFor({ timeout: 60_000 })
    await page.locator('[data-testid="cluster-status"][data-mode="live"]:visible').first().waitFor()

    // 1. latency: 200 lines, 15 ms apart, each carrying the wall-clock time the fake API server sent it
    const latency = async (): Promise<Latency> => {
      await page.evaluate(() => {
        const w = window as unknown as { __lat: number[]; __seen: Set<string>; __dom: Record<string, number>; __sock: Record<string, number> }
        w.__lat = []
        w.__dom = {}
        w.__sock = {}
        w.__seen = new Set()
        const out = document.querySelector('.slidev-page [data-action="probe-ratings-productpage"] [data-testid="output"]')!
        new MutationObserver(() => {
          const now = performance.timeOrigin + performance.now()
          for (const m of (out.textContent ?? '').matchAll(/⟦(\d+):([\d.]+)⟧/g)) {
            if (w.__seen.has(m[1]!)) continue
            w.__seen.add(m[1]!)
            w.__lat.push(now - Number(m[2]))
            w.__dom[m[1]!] = now
          }
        }).observe(out, { childList: true, subtree: true, characterData: true })
      })
      const lines = 200
      const sentAt = new Map<string, number>()
      const storedAt = new Map<string, number>()
      const unsubscribe = server.store.subscribe((_action, event) => {
        if (event.type !== 'chunk') return
        const now = wallNow()
        for (const m of event.chunk.data.matchAll(/⟦(\d+):([\d.]+)⟧/g)) {
          sentAt.set(m[1]!, Number(m[2]))
          if (!storedAt.has(m[1]!)) storedAt.set(m[1]!, now)
        }
      })
      fake.onExec(() => ({
        steps: Array.from({ length: lines }, (_, i) => [{ delayMs: 15 }, { stdout: () => `line ⟦${i}:${wallNow().toFixed(3)}⟧\n` }]).flat(),
        exitCode: 0,
      }))
      await root.getByTestId('run').click()
      await root.getByTestId('status').getByText(/^exit 0/).waitFor({ timeout: 30_000 })
      await page.waitForFunction((n) => (window as unknown as { __lat: number[] }).__lat.length >= n, lines, { timeout: 10_000 })
      const latencies = (await page.evaluate(() => (window as unknown as { __lat: number[] }).__lat)).sort((a, b) => a - b)
      unsubscribe()
      const socketAt = await page.evaluate(() => (window as unknown as { __sock: Record<string, number> }).__sock)
      const domAt = await page.evaluate(() => (window as unknown as { __dom: Record<string, number> }).__dom)
      const hop = (name: string, values: number[]) => {
        const sorted = values.filter(Number.isFinite).sort((a, b) => a - b)
        return { hop: name, p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1) ?? NaN }
      }
      const ids = [...sentAt.keys()]
      return {
        p50: percentile(latencies, 50),
        p95: percentile(latencies, 95),
        max: latencies.at(-1) ?? NaN,
        samples: latencies.length,
        hops: [
          hop('fake sends → run store', ids.map((id) => storedAt.get(id)! - sentAt.get(id)!)),
          hop('run store → browser WebSocket', ids.map((id) => (socketAt[id] ?? NaN) - storedAt.get(id)!)),
          hop('browser WebSocket → slide DOM', ids.map((id) => (domAt[id] ?? NaN) - (socketAt[id] ?? NaN))),
        ],
      }
    }
    const opening = await latency()
    // calm: every slide mounted (Slidev loads them all 3 s after opening), then a second of quiet
    await page.waitForFunction(() => {
      const total = (window as unknown as { __slidev__?: { nav?: { total?: number } } }).__slidev__?.nav?.total ?? Infinity
      return document.querySelectorAll('.slidev-page').length >= total
    }, undefined, { timeout: 60_000 })
    await page.waitForTimeout(1000)
    const calm = await latency()

    // 2. 5 MB in 64 KiB frames as fast as the fake can send them; the page records its long tasks meanwhile
    await page.evaluate(() => {
      const w = window as unknown as { __tasks: number[] }
      w.__tasks = []
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.__tasks.push(e.duration)
      }).observe({ type: 'longtask' })
    })
    const frame = ('x'.repeat(99) + '\n').repeat(655) // 65,500 bytes
    const frames = Math.ceil((5 * 1024 * 1024) / frame.length)
    fake.onExec(() => ({ steps: Array.from({ length: frames }, () => ({ stdout: frame })), exitCode: 0 }))
    const started = Date.now()
    await root.getByTestId('run').click()
    await root.getByTestId('status').getByText(/^exit 0/).waitFor({ timeout: 60_000 })
    const bigSeconds = (Date.now() - started) / 1000
    await page.waitForTimeout(300) // let the last frame paint and any long task be reported
    const tasks = await page.evaluate(() => (window as unknown as { __tasks: number[] }).__tasks)
    const domChars = (await root.getByTestId('output').textContent())?.length ?? 0
    const truncationShown = (await root.getByText('output truncated at 2 MB').count()) > 0
    return {
      latencyP50: calm.p50,
      latencyP95: calm.p95,
      latencyMax: calm.max,
      samples: calm.samples,
      hops: calm.hops,
      opening,
      bigBytes: frames * frame.length,
      bigSeconds,
      longestTaskMs: tasks.length ? Math.max(...tasks) : 0,
      longTasks: tasks.length,
      domChars,
      truncationShown,
    }
  } finally {
    await browser.close()
    await server.close()
    await deck.stop()
    await fake.close()
  }
}

/** Where the latency goes, hop by hop, and the same while the deck is still opening: rows for the bench's table. */
export function streamingDetailRows(s: StreamingFigures): Array<[name: string, value: string, goal: string]> {
  const ms = (n: number) => `${n.toFixed(1)} ms`
  return [
    ...s.hops.map((h): [string, string, string] => [`  ${h.hop}: p50 / p95`, `${ms(h.p50)} / ${ms(h.p95)}`, '—']),
    [`  right after opening (Slidev mounting every slide): p50 / p95`, `${ms(s.opening.p50)} / ${ms(s.opening.p95)}`, '—'],
    ...s.opening.hops.map((h): [string, string, string] => [`    ${h.hop}: p95 / max`, `${ms(h.p95)} / ${ms(h.max)}`, '—']),
  ]
}
