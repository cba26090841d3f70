// `npm start`: the demo server and the deck together. One Ctrl-C stops both.
//   npm start -- --context kind-calico-lab   (another kube context)
//   npm start -- --port 3030                 (the deck's port)
import { deckEnv, freePort, launchDemoServer, option, spawnSlidev } from '../demo-server/src/launch.ts'

const argv = process.argv.slice(2)
const deckPort = Number(option(argv, 'port') ?? 3030)
const { server, token, access } = await launchDemoServer({ deckPort, context: option(argv, 'context'), port: await freePort() })
const health = server.hub.getHealth()

console.log(`demo server  ${server.url} (loopback only, token required)`)
console.log(`kube context ${access.context ?? '(none)'}${access.server ? ` → ${access.server}` : ''}`)
console.log(`cluster      ${health?.message ?? 'unknown'}`)
console.log(`deck         http://localhost:${deckPort}/  (presenter: http://localhost:${deckPort}/presenter/)`)

const slidev = spawnSlidev(['slides.md', '--port', String(deckPort), ...(process.env.CI ? [] : ['--open', 'false'])], deckEnv(server, token))
let stopping = false
async function stop(code: number): Promise<void> {
  if (stopping) return
  stopping = true
  slidev.kill('SIGTERM')
  await server.close()
  process.exit(code)
}
process.on('SIGINT', () => void stop(0))
process.on('SIGTERM', () => void stop(0))
slidev.on('exit', (code) => void stop(code ?? 0))
