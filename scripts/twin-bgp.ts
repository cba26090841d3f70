// npm run twin:bgp [-- --from node1 --to node2 --manifests DIR --scripts DIR --timeout-ms 60000 --follow-ms 10000]
//
// The routing twin of the lab's exposure path (scripts/lib/bgp/twin.ts): real BIRD routers in network namespaces,
// the nodes configured from manifests/ the way Calico v3.31.7's confd renders them, host1 with the lab's own BIRD
// configuration (scripts/lib.sh host1_bird_conf). Prints one JSON line per route host1 learnt, per node what it
// advertises to host1, and the time host1's routes took to follow a moved endpoint; exits 0 only if every route to
// the LoadBalancer address leads to the endpoint node alone and no pod block reaches host1, before and after the
// move. Needs root (network namespaces), BIRD 1.6 and BIRD 2 (see scripts/lib/bgp/tools.ts). Exit codes: 0 pass,
// 1 the lab fails the check, 2 the twin could not run.
import { parseArgs } from 'node:util'
import { isAbsolute, join } from 'node:path'
import { NODE_NAMES, readTwinInputs } from './lib/bgp/cluster.ts'
import type { NodeName } from './lib/bgp/cluster.ts'
import { birdTools, birdToolsMissing, REPO_ROOT } from './lib/bgp/tools.ts'
import { runTwin } from './lib/bgp/twin.ts'
import { netnsUnavailable } from './lib/netns.ts'

function fail(message: string): never {
  process.stderr.write(`twin:bgp: ${message}\n`)
  process.exit(2)
}

let args
try {
  args = parseArgs({
    options: {
      from: { type: 'string', default: 'node1' },
      to: { type: 'string', default: 'node2' },
      manifests: { type: 'string', default: 'manifests' },
      scripts: { type: 'string', default: 'scripts' },
      'timeout-ms': { type: 'string', default: '60000' },
      'follow-ms': { type: 'string', default: '10000' },
      help: { type: 'boolean', short: 'h' },
    },
  }).values
} catch (e) {
  fail(`${(e as Error).message} (try --help)`)
}
if (args.help) {
  process.stdout.write('usage: npm run twin:bgp -- [--from node1] [--to node2] [--manifests DIR] [--scripts DIR] [--timeout-ms N] [--follow-ms N]\n')
  process.exit(0)
}
const node = (name: string, flag: string): NodeName => {
  if (!(NODE_NAMES as readonly string[]).includes(name)) fail(`--${flag} ${name}: not one of ${NODE_NAMES.join(', ')}`)
  return name as NodeName
}
const from = node(args.from!, 'from')
const to = node(args.to!, 'to')
if (from === to) fail('--from and --to must name different nodes')
const timeoutMs = Number(args['timeout-ms'])
if (!Number.isInteger(timeoutMs) || timeoutMs < 1000) fail('--timeout-ms must be an integer ≥ 1000')
const followMs = Number(args['follow-ms'])
if (!Number.isInteger(followMs) || followMs < 100) fail('--follow-ms must be an integer ≥ 100')
const dir = (p: string) => (isAbsolute(p) ? p : join(REPO_ROOT, p))

const unavailable = netnsUnavailable() ?? birdToolsMissing()
if (unavailable) fail(unavailable)
let inputs
try {
  inputs = readTwinInputs(dir(args.manifests!), dir(args.scripts!))
} catch (e) {
  fail((e as Error).message)
}

try {
  const ok = await runTwin({
    inputs,
    tools: birdTools(),
    from,
    to,
    timeoutMs,
    followMs,
    emit: (line) => process.stdout.write(`${JSON.stringify(line)}\n`),
    log: (message) => process.stderr.write(`twin:bgp: ${message}\n`),
  })
  process.exitCode = ok ? 0 : 1
} catch (e) {
  fail((e as Error).message)
}
