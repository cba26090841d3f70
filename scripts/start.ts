// `npm start`: the demo server and the deck together. One Ctrl-C stops both.
//   npm start -- --context kind-calico-lab   (another kube context)
//   npm start -- --port 3030                 (the deck's port)
//   npm start -- --recording DIR             (the recording replayed beside .runs/; default rehearsal/recording/
//                                             when it exists; --no-recording: none)
//   npm start -- --talk-first                (the presentation before the demo: slides-talk-first.md; the default,
//                                             slides.md, runs the demo first as the assessment does; or DECK_ENTRY)
// The deck starts first: the server's port and token are chosen before Slidev is spawned, and the demo server loads
// once the deck answers. Loading it (client-node and the server: half a second of CPU) beside Slidev's own start delayed
// the first slide by 0.3–0.6 s (`npm run bench -- --only start`); the deck's page connects seconds later, and retries
// until the server answers. A slow or absent cluster (the health check waits up to its timeout) never delays the slides.
import { deckEntryOption, deckOrder } from './lib/deckEntry.ts'
import { deckEnv, demoServerUrl, freePort, launchDemoServer, newToken, parseCommandLine, portOption, recordingDirOption, recordingOptions, spawnSlidev, untilAnswers, useCompileCache } from '../demo-server/src/launch.ts'

const command = 'npm start'
const { values } = parseCommandLine(command, { port: { type: 'string' }, context: { type: 'string' }, 'talk-first': { type: 'boolean', default: false }, ...recordingOptions }, 'npm start -- [--port 3030] [--context NAME] [--talk-first] [--recording DIR | --no-recording]')
const deckPort = portOption(command, 'port', values.port, 3030)
const recordingDir = recordingDirOption(command, values)
const entry = deckEntryOption(command, { talkFirst: values['talk-first'] })
useCompileCache()
const token = newToken()
const demoPort = await freePort()

const slidev = spawnSlidev([entry, '--port', String(deckPort), ...(process.env.CI ? [] : ['--open', 'false'])], deckEnv({ url: demoServerUrl(demoPort) }, token))
let stopping = false
let server: Awaited<ReturnType<typeof launchDemoServer>>['server'] | undefined
async function stop(code: number): Promise<void> {
  if (stopping) return
  stopping = true
  if (slidev.exitCode === null) slidev.kill('SIGTERM')
  await server?.close()
  process.exit(code)
}
process.on('SIGINT', () => void stop(0))
process.on('SIGTERM', () => void stop(0))
slidev.on('exit', (code) => void stop(code ?? 0))

// no answer within 15 s: the server starts anyway (Slidev's own output says why the deck is slow or gone)
await untilAnswers(`http://localhost:${deckPort}/`, { timeoutMs: 15_000, gaveUp: () => slidev.exitCode !== null || stopping })
try {
  const launched = await launchDemoServer({ deckPort, context: values.context, port: demoPort, token, recordingDir })
  server = launched.server
  if (server.url !== demoServerUrl(demoPort)) throw new Error(`it listens on ${server.url}, but the deck was told ${demoServerUrl(demoPort)}`)
  const { access } = launched
  const health = server.hub.getHealth()
  console.log(`demo server  ${server.url} (loopback only, token required)`)
  console.log(`kube context ${access.context ?? '(none)'}${access.server ? ` → ${access.server}` : ''}`)
  console.log(`cluster      ${health?.message ?? 'unknown'}`)
  console.log(`recording    ${recordingDir ? `${recordingDir} (replayed where it is newer than .runs/)` : '(none)'}`)
  console.log(`deck         http://localhost:${deckPort}/  (presenter: http://localhost:${deckPort}/presenter/)`)
  console.log(`order        ${entry}: ${deckOrder(entry)}`)
} catch (error) {
  console.error(`npm start: the demo server did not start: ${(error as Error).message}`)
  await stop(1)
}
