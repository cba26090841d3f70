// `npm run export`: the deck as PDF and PPTX (speaker notes included), every live component drawn from the
// run store's last recorded run. The demo server runs replay-only here: no cluster, nothing executes.
//   npm run export -- [--out exports] [--formats pdf,pptx] [--talk-first | --entry slides.md] [--runs .runs]
//                     [--executable-path PATH] [--recording DIR | --no-recording]
// The deck in the default order (slides.md: the demo first); --talk-first or DECK_ENTRY as for `npm start`.
// The runs come from `.runs/` and the rehearsal's recording (rehearsal/recording/ when it exists), the newer run of
// each step winning (the run store's preferNewer).
// One Slidev (Vite) server renders every format, one after the other, each through Slidev's own exporter: the deck is
// compiled once instead of once per `slidev export` process. (Exporting the formats side by side was slower on a
// 2-core machine: both browsers and Vite fight for the same cores.) The demo server and Slidev start together.
import { mkdirSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { deckEnv, demoServerUrl, freePort, launchDemoServer, newToken, parseCommandLine, recordingDirOption, recordingOptions, repoRoot, useCompileCache } from '../demo-server/src/launch.ts'
import { MissingBrowserError, requireBrowser } from './lib/browser.ts'
import { deckEntryOption } from './lib/deckEntry.ts'
import { injectPreparserExtensionLoader } from '@slidev/parser/fs'
import preparser from '../setup/preparser.ts'

const FORMATS = ['pdf', 'pptx', 'png', 'md'] as const
type Format = (typeof FORMATS)[number]

const command = 'npm run export'
const { values } = parseCommandLine(
  command,
  { out: { type: 'string' }, formats: { type: 'string', default: 'pdf,pptx' }, entry: { type: 'string' }, 'talk-first': { type: 'boolean', default: false }, runs: { type: 'string' }, 'executable-path': { type: 'string' }, ...recordingOptions },
  'npm run export -- [--out exports] [--formats pdf,pptx] [--talk-first | --entry slides.md] [--runs .runs] [--recording DIR | --no-recording] [--executable-path PATH]',
)
const recordingDir = recordingDirOption(command, values)
const formats = values.formats.split(',').map((f) => f.trim())
const unknown = formats.filter((f) => !(FORMATS as readonly string[]).includes(f))
if (unknown.length > 0 || formats.length === 0) {
  console.error(`${command}: unknown format ${unknown.join(', ') || '(none)'} (formats: ${FORMATS.join(', ')})`)
  process.exit(2)
}

let browser: string
try {
  browser = values['executable-path'] ?? requireBrowser()
} catch (error) {
  if (!(error instanceof MissingBrowserError)) throw error
  console.error(error.message)
  process.exit(1)
}

const outDir = resolve(values.out ?? join(repoRoot, 'exports'))
const entry = resolve(repoRoot, deckEntryOption(command, { talkFirst: values['talk-first'], entry: values.entry }))
// The slidev CLI installs the deck's preparser (setup/preparser.ts) before it parses anything (@slidev/cli 52.14.2,
// dist/cli.mjs `setupPreparser`); this exporter parses in-process, so it installs the same hook, or the export would
// draw different slides than `npm start`. The deck has no add-ons, so its own preparser is the only one.
injectPreparserExtensionLoader(async () => preparser())
mkdirSync(outDir, { recursive: true })
useCompileCache()

/** Slidev's exporter: the module `slidev export` itself loads (its file name carries a build hash). */
async function slidevExporter(): Promise<{
  exportSlides: (options: Record<string, unknown>) => Promise<string>
  getExportOptions: (args: Record<string, unknown>, options: unknown) => Record<string, unknown>
}> {
  const dist = join(repoRoot, 'node_modules', '@slidev', 'cli', 'dist')
  for (const file of readdirSync(dist).filter((f) => /^export-[\w-]+\.mjs$/.test(f))) {
    const mod = (await import(pathToFileURL(join(dist, file)).href)) as Record<string, unknown>
    if (typeof mod.exportSlides === 'function' && typeof mod.getExportOptions === 'function') return mod as never
  }
  throw new Error(`@slidev/cli has no export module with exportSlides in ${dist} (the pinned 52.14.2 has one)`)
}

const token = newToken()
const demoPort = await freePort()
const deckPort = await freePort()
Object.assign(process.env, deckEnv({ url: demoServerUrl(demoPort) }, token))
const [demo, slidev] = await Promise.allSettled([
  launchDemoServer({
    deckPort,
    port: demoPort,
    token,
    access: { kubeConfig: null, context: null, server: null, problem: 'export draws recorded runs only' },
    allowAnyLoopbackOrigin: true,
    storeDir: values.runs,
    recordingDir,
  }),
  (async () => {
    const [{ createServer, resolveOptions }, exporter] = await Promise.all([import('@slidev/cli'), slidevExporter()])
    const options = await resolveOptions({ entry }, 'export')
    const deck = await createServer(options, { server: { port: deckPort, strictPort: true }, clearScreen: false, logLevel: 'warn' })
    await deck.listen(deckPort)
    return { deck, options, ...exporter }
  })(),
])
let failed = false
try {
  if (demo.status === 'rejected') throw new Error(`the demo server did not start: ${(demo.reason as Error)?.message}`)
  if (slidev.status === 'rejected') throw new Error(`Slidev did not start: ${(slidev.reason as Error)?.message}`)
  const { options, exportSlides, getExportOptions } = slidev.value
  const started = performance.now()
  for (const format of formats) {
    const output = join(outDir, `talk.${format}`)
    await exportSlides({ port: deckPort, ...getExportOptions({ entry, format: format as Format, output, 'executable-path': browser, timeout: 120_000 }, options) })
    console.log(`✔ ${output}`)
  }
  if (recordingDir) console.log(`runs from ${values.runs ?? '.runs'} and the recording ${recordingDir} (the newer run of each step)`)
  console.log(`exported ${formats.join(' + ')} in ${((performance.now() - started) / 1000).toFixed(1)} s`)
} catch (error) {
  failed = true
  console.error(`✘ export failed: ${(error as Error).message}`)
} finally {
  if (slidev.status === 'fulfilled') await slidev.value.deck.close()
  if (demo.status === 'fulfilled') await demo.value.server.close()
}
// Slidev's exporter sets process.exitCode when an element it waits for never shows.
process.exit(failed || (process.exitCode ?? 0) !== 0 ? 1 : 0)
