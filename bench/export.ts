// Export speed: `npm run export` (PDF + PPTX from one Slidev server, scripts/export.ts) against stock Slidev's way —
// one `slidev export` process per format, each starting its own server — on the same deck, with the same
// replay-only demo server behind it. Wall time from spawn to both files written.
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { deckEnv, launchDemoServer, repoRoot, spawnSlidev } from '../demo-server/src/launch.ts'
import { requireBrowser } from '../scripts/lib/browser.ts'

export interface ExportFigures {
  oursSeconds: number
  stockSeconds: number
  stockPerFormat: Record<string, number>
  pages: number
}

function exitOf(child: ReturnType<typeof spawn>): Promise<number> {
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)))
}

async function ours(out: string, runs: string): Promise<number> {
  const started = performance.now()
  const child = spawn(process.execPath, [join(repoRoot, 'scripts', 'export.ts'), '--out', out, '--runs', runs], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] })
  const code = await exitOf(child)
  if (code !== 0 || !existsSync(join(out, 'talk.pdf')) || !existsSync(join(out, 'talk.pptx'))) throw new Error(`npm run export failed (exit ${code})`)
  return (performance.now() - started) / 1000
}

async function stock(out: string, runs: string): Promise<{ total: number; perFormat: Record<string, number> }> {
  const started = performance.now()
  const { server, token } = await launchDemoServer({
    deckPort: 0,
    access: { kubeConfig: null, context: null, server: null, problem: 'bench: recorded runs only' },
    allowAnyLoopbackOrigin: true,
    storeDir: runs,
  })
  const perFormat: Record<string, number> = {}
  try {
    for (const format of ['pdf', 'pptx']) {
      const t = performance.now()
      const child = spawnSlidev(['export', 'slides.md', '--format', format, '--output', join(out, `talk.${format}`), '--executable-path', requireBrowser(), '--timeout', '120000'], deckEnv(server, token), 'pipe')
      child.stdout?.resume()
      child.stderr?.resume()
      const code = await exitOf(child)
      if (code !== 0) throw new Error(`slidev export --format ${format} failed (exit ${code})`)
      perFormat[format] = (performance.now() - t) / 1000
    }
  } finally {
    await server.close()
  }
  return { total: (performance.now() - started) / 1000, perFormat }
}

/** One export each, stock first (it also leaves Vite's dependency cache warm for both). */
export async function benchExport(): Promise<ExportFigures> {
  const runs = mkdtempSync(join(tmpdir(), 'bench-export-runs-'))
  const s = await stock(mkdtempSync(join(tmpdir(), 'bench-export-stock-')), runs)
  const outDir = mkdtempSync(join(tmpdir(), 'bench-export-ours-'))
  const o = await ours(outDir, runs)
  const pages = Number(/^Pages:\s+(\d+)/m.exec(execFileSync('pdfinfo', [join(outDir, 'talk.pdf')], { encoding: 'utf8' }))?.[1] ?? 0)
  return { oursSeconds: o, stockSeconds: s.total, stockPerFormat: s.perFormat, pages }
}
