// The demo server on its own (the deck normally starts it through `npm start`):
//   node demo-server/src/main.ts [--context NAME] [--port 7070] [--deck-port 3030]
// Prints the token the deck must present.
import { launchDemoServer, option } from './launch.ts'

const argv = process.argv.slice(2)
const { server, token, access } = await launchDemoServer({
  deckPort: Number(option(argv, 'deck-port') ?? 3030),
  context: option(argv, 'context'),
  port: Number(option(argv, 'port') ?? 0),
})
console.log(JSON.stringify({ url: server.url, token, context: access.context, health: server.hub.getHealth() }))
const stop = () => void server.close().then(() => process.exit(0))
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
