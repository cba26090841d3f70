// `npm run --silent reach -- CASE.json`: decide every probe of a case file with the policy engine.
//   stdout: {"results":[{"from","to","port","protocol","allowed","reason"}, …]} — one per probe, in order;
//           with "expected" in the case, also "mismatches":[{"index", …result, "expected"}].
//   exit 0: decided (and every expectation met); 1: some result differs from "expected"; 2: invalid case.
// `npm run reach -- --manifests manifests/ [--port 9080] [--json]`: the lab's own truth tables, derived from
//   the YAML there (one pod per workload, a CoreDNS stand-in, two outside clients).
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import {
  CaseError,
  evaluate,
  labMatrix,
  modelFromManifests,
  printTruthTable,
  runCase,
  truthTables,
} from '../demo-server/src/policy/index.ts'

const USAGE = `usage:
  npm run --silent reach -- CASE.json
  npm run reach -- --manifests DIR [--port 9080] [--json]

CASE.json: {"name", "namespaces", "pods", "policies", "probes", "expected"?} (see test/reach-cases/).
Exit codes: 0 decided, 1 a result differs from "expected", 2 invalid case or arguments.`

function fail(message: string): never {
  process.stderr.write(`reach: ${message}\n`)
  process.exit(2)
}

function invalid(file: string, e: unknown): never {
  if (e instanceof CaseError) {
    fail(`invalid case ${file}:\n${e.issues.map((i) => `  - ${i}`).join('\n')}`)
  }
  throw e
}

function runCaseFile(file: string): void {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    fail(`cannot read ${file}: ${(e as Error).message}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    fail(`invalid case ${file}: not JSON (${(e as Error).message})`)
  }
  let run
  try {
    run = runCase(json)
  } catch (e) {
    invalid(file, e)
  }
  const out = run.mismatches ? { results: run.results, mismatches: run.mismatches } : { results: run.results }
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`)
  if (run.mismatches && run.mismatches.length > 0) {
    for (const m of run.mismatches) {
      process.stderr.write(
        `reach: MISMATCH probes[${m.index}] ${m.from} → ${m.to} ${m.port}/${m.protocol}: expected ${m.expected ? 'allowed' : 'denied'}, ` +
        `engine says ${m.allowed ? 'allowed' : 'denied'} (${m.reason})\n`,
      )
    }
    process.stderr.write(`reach: ${run.mismatches.length} of ${run.results.length} probes differ from "expected" in ${file}\n`)
    process.exit(1)
  }
}

function runManifests(dir: string, port: number, json: boolean): void {
  let m
  try {
    m = modelFromManifests(dir)
  } catch (e) {
    invalid(dir, e)
  }
  const lab = labMatrix(m, port)
  const results = evaluate(m.model, m.policies, lab.probes)
  if (json) {
    const rows = results.map(({ from, to, port: p, protocol, allowed, reason }) => ({ from, to, port: p, protocol, allowed, reason }))
    process.stdout.write(`${JSON.stringify({ results: rows }, null, 2)}\n`)
    return
  }
  const lines: string[] = []
  lines.push(`Lab from ${dir}: ${m.files.length} files, ${m.model.pods.length} pods, ${m.policies.policies.length} policies`)
  lines.push(`  pod IPs   assigned from ${m.podCidr} (${m.podCidrSource})`)
  lines.push(`  outside   ${m.outsideClients.allowed} (inside ${m.outsideClients.range}) and ${m.outsideClients.denied} (outside it)`)
  lines.push(`            range from ${m.outsideClients.rangeSource}`)
  for (const n of m.notes) lines.push(`  note      ${n}`)
  lines.push('')
  lines.push('"." allowed, "X" denied; rows are sources, columns destinations (pod to its own IP: never policed).')
  for (const t of truthTables(results, { froms: lab.sources, tos: lab.destinations })) {
    lines.push('', t.title, printTruthTable(t))
  }
  process.stdout.write(`${lines.join('\n')}\n`)
}

let args: ReturnType<typeof parse>
function parse() {
  return parseArgs({
    options: { manifests: { type: 'string' }, port: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
    strict: true,
    allowPositionals: true,
  })
}
try {
  args = parse()
} catch (e) {
  fail(`${(e as Error).message}\n${USAGE}`)
}
const { values, positionals } = args
if (values.help) {
  process.stdout.write(`${USAGE}\n`)
  process.exit(0)
}
if (values.manifests !== undefined) {
  if (positionals.length > 0) fail(`--manifests takes no case file\n${USAGE}`)
  const port = values.port === undefined ? 9080 : Number(values.port)
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`--port needs a port number (1-65535)`)
  runManifests(values.manifests, port, values.json)
} else {
  if (values.port !== undefined || values.json) fail(`--port and --json go with --manifests\n${USAGE}`)
  if (positionals.length !== 1) fail(`expected exactly one case file\n${USAGE}`)
  runCaseFile(positionals[0] as string)
}
