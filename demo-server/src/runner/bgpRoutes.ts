// A bgp-routes step: the nodes and the endpoint read through the API, host1's table through the host runner, the
// judge and the expectation from bgp/host1Route.ts. Prints two labelled tables: *live* (what host1's kernel holds,
// each route with its verdict, each red one with its fix) and *expected* (computed from manifests/ for the node the
// endpoint runs on — not read from anywhere).
import { CoreV1Api } from '@kubernetes/client-node'
import type { KubeConfig, V1Node } from '@kubernetes/client-node'
import { expectedForHost1, judgeHost1, labManifests, readEndpointNode, readHost1Routes } from '../bgp/host1Route.ts'
import type { EndpointNode, Problem } from '../bgp/host1Route.ts'
import { internalIp } from '../bgp/nodeStatus.ts'
import type { RouteVerdict } from '../bgp/routes.ts'
import type { BgpRoutesAction, Lab } from '../catalog/types.ts'
import { runHostProgram } from '../host/programs.ts'
import { abortable } from '../kube/clients.ts'
import type { Outcome, Sink } from './outcome.ts'
import { formatTable } from './table.ts'

const HOST_TIMEOUT_MS = 10_000
const paint = (code: string, text: string) => `\u001b[${code}m${text}\u001b[0m`

const VERDICT: Record<NonNullable<RouteVerdict['problem']> | 'ok', string> = {
  ok: paint('32', '✔ productpage’s node alone'),
  'several-next-hops': paint('31', '✘ several next hops (ECMP)'),
  aggregate: paint('31', '✘ aggregate of the range'),
  'other-node': paint('31', '✘ not productpage’s node'),
  'pod-block': paint('31', '✘ pod block'),
  'no-route': paint('31', '✘ no route'),
}

function hopRows(prefix: string, hops: { ip: string; node: string }[], last: string): string[][] {
  if (hops.length === 0) return [[prefix, '–', '', last]]
  return hops.map((h, i) => [i === 0 ? prefix : '', h.ip, h.node, i === 0 ? last : ''])
}

export async function runBgpRoutes(kc: KubeConfig, action: BgpRoutesAction, lab: Lab, sink: Sink, signal: AbortSignal): Promise<Outcome> {
  const nodes: V1Node[] = (await abortable(kc, CoreV1Api, signal).listNode()).items
  const name = new Map(nodes.flatMap((n) => (internalIp(n) ? [[internalIp(n)!, n.metadata?.name ?? '']] : [])))
  const found = await readEndpointNode(kc, action.endpoint, nodes, signal)
  const endpoint: EndpointNode | undefined = found.ok ? found.endpoint : undefined
  if (endpoint) sink.info(`${endpoint.pod} is Ready on ${endpoint.node} (${endpoint.ip})\n`)
  const host = await readHost1Routes((argv) => runHostProgram(argv, { signal, timeoutMs: HOST_TIMEOUT_MS }), action.argv[lab], lab)
  signal.throwIfAborted()
  const manifests = labManifests()

  // what could not be read, said in full; a wrong route is already named in its table row, so only its fix follows
  const unread = [...(found.ok ? [] : [found.problem]), ...(host.ok ? [] : [host.problem])]
  const wrong: Problem[] = []
  const out: string[] = [`${paint('1;32', 'live')} host1's kernel routes learnt over BGP`]
  if (host.ok) {
    const judged = endpoint ? judgeHost1(host.routes, endpoint, nodes, manifests, lab) : undefined
    wrong.push(...(judged?.problems ?? []))
    const learnt = host.routes.filter((r) => r.protocol === 'bird')
    const rows = learnt.flatMap((r) => {
      const v = judged?.verdicts.find((x) => x.prefix === r.prefix)
      return hopRows(r.prefix, r.nextHops.map((ip) => ({ ip, node: name.get(ip) ?? '?' })), v ? VERDICT[v.ok ? 'ok' : (v.problem ?? 'other-node')] : '')
    })
    const missing = judged?.verdicts.find((v) => v.problem === 'no-route')
    if (missing) rows.push([missing.prefix, '–', '', VERDICT['no-route']])
    out.push(rows.length ? formatTable({ header: ['PREFIX', 'NEXT HOP', 'NODE', ''], rows }).trimEnd() : '(no route learnt over BGP)')
  } else out.push('(not read)')

  const where = endpoint ? `with productpage on ${endpoint.node}` : 'with no Ready productpage'
  out.push('', `${paint('1;90', 'expected')} from manifests/ (the routing twin's confd view) ${where}`)
  const expected = expectedForHost1(manifests, nodes, endpoint)
  const rows = expected.flatMap((r) => hopRows(r.prefix, r.via, ''))
  out.push(rows.length ? formatTable({ header: ['PREFIX', 'NEXT HOP', 'NODE', ''], rows }).trimEnd() : '(nothing)')
  for (const p of unread) out.push(paint('31', wrap(`✘ ${p.text}`)), wrap(`  fix: ${p.fix}`))
  for (const p of wrong) out.push(paint('31', '✘') + wrap(`✘ fix: ${p.fix}`).slice(1))
  sink.stdout(`${out.join('\n')}\n`)
  const reds = [...unread, ...wrong]
  if (reds.length === 0) return { status: 'succeeded', exitCode: 0 }
  return { status: 'failed', exitCode: 1, error: { kind: 'exit-code', message: reds.map((p) => p.text).join('; ').slice(0, 300) } }
}

/** Long lines folded at spaces, continued with an indent: the slide's output box does not wrap. */
function wrap(text: string, width = 130, indent = '      '): string {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line)
      line = indent + word
    } else line = line ? `${line} ${word}` : word
  }
  return [...lines, line].join('\n')
}
