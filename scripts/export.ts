// `npm run export`: the deck as PDF and PPTX (speaker notes included), every live component drawn from the
// run store's last recorded run. The demo server runs replay-only here: no cluster, nothing executes.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { deckEnv, launchDemoServer, option, repoRoot, spawnSlidev } from '../demo-server/src/launch.ts'

const argv = process.argv.slice(2)
const outDir = option(argv, 'out') ?? join(repoRoot, 'exports')
const browser = option(argv, 'executable-path') ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const formats = (option(argv, 'formats') ?? 'pdf,pptx').split(',')
const entry = option(argv, 'entry') ?? 'slides.md'
mkdirSync(outDir, { recursive: true })

const { server, token } = await launchDemoServer({
  deckPort: 0,
  access: { kubeConfig: null, context: null, server: null, problem: 'export draws recorded runs only' },
  allowAnyLoopbackOrigin: true,
  storeDir: option(argv, 'runs'),
})
let failed = false
try {
  for (const format of formats) {
    const output = join(outDir, `talk.${format}`)
    const code = await new Promise<number>((resolve) => {
      const child = spawnSlidev(['export', entry, '--format', format, '--output', output, '--executable-path', browser, '--timeout', '120000'], deckEnv(server, token))
      child.on('exit', (c) => resolve(c ?? 1))
    })
    if (code !== 0) {
      console.error(`✘ ${format} export failed (exit ${code})`)
      failed = true
      break
    }
    console.log(`✔ ${output}`)
  }
} finally {
  await server.close()
}
process.exit(failed ? 1 : 0)
