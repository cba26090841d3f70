// The demo server on its own (the deck normally starts it through `npm start`):
//   npm run demo-server -- [--context NAME] [--port 7070] [--deck-port 3030]
// Prints the token the deck must present.
import { launchDemoServer, parseCommandLine, portOption } from './launch.ts'

const command = 'npm run demo-server'
const { values } = parseCommandLine(command, { context: { type: 'string' }, port: { type: 'string' }, 'deck-port': { type: 'string' } }, 'npm run demo-server -- [--context NAME] [--port 0] [--deck-port 3030]')
const { server, token, access } = await launchDemoServer({
  deckPort: portOption(command, 'deck-port', values['deck-port'], 3030),
  context: values.context,
  port: portOption(command, 'port', values.port, 0, true),
})
console.log(JSON.stringify({ url: server.url, token, context: access.context, health: server.hub.getHealth() }))
const stop = () => void server.close().then(() => process.exit(0))
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
