// `npm run --silent probe:classify -- FILE.json`: replay recorded probe outputs through the matrix's classifier.
//   FILE.json: a JSON array of {tool, exitCode, stdout, stderr} (tool: nc, dns, curl, wget); other keys are ignored,
//   so a file of recorded rows (test/fixtures/probe-real-outputs.json) replays as it is. An element may carry
//   "context": {"readyEndpoints": bool, "denyAction": "Drop"|"Reject"} — what the API said when it was recorded;
//   without it, the lab's ordinary state is assumed (ready endpoints, deny action Drop).
//   stdout: one JSON line per element, {"verdict","reason"} (with --detail, also "evidence" and "detail").
//   exit 0; 2 on invalid arguments or input, with the reason on stderr and nothing on stdout.
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { z } from 'zod'
import { classifyProbe, DEFAULT_CONTEXT, probeContext, toolOutput } from '../demo-server/src/matrix/verdict.ts'

const USAGE = `usage: npm run --silent probe:classify -- [--detail] FILE.json

FILE.json: [{"tool": "nc"|"dns"|"curl"|"wget", "exitCode": 0-255, "stdout": "...", "stderr": "...",
             "context"?: {"readyEndpoints": true|false, "denyAction": "Drop"|"Reject"}}, ...]
Prints one {"verdict","reason"} line per element. Exit 0, or 2 on invalid input.`

const recorded = toolOutput.extend({ context: probeContext.partial().optional() })
const input = z.array(recorded)

function fail(message: string): never {
  process.stderr.write(`probe:classify: ${message}\n`)
  process.exit(2)
}

let values: { detail?: boolean; help?: boolean }
let positionals: string[]
try {
  ;({ values, positionals } = parseArgs({ options: { detail: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true }))
} catch (error) {
  fail(`${(error as Error).message}\n${USAGE}`)
}
if (values.help) {
  process.stdout.write(`${USAGE}\n`)
  process.exit(0)
}
if (positionals.length !== 1) fail(`expected one FILE.json, got ${positionals.length}\n${USAGE}`)
const file = positionals[0]!

let text: string
try {
  text = readFileSync(file, 'utf8')
} catch (error) {
  fail(`cannot read ${file}: ${(error as Error).message}`)
}
let json: unknown
try {
  json = JSON.parse(text)
} catch (error) {
  fail(`${file} is not JSON: ${(error as Error).message}`)
}
const parsed = input.safeParse(json)
if (!parsed.success) {
  const issues = parsed.error.issues.slice(0, 20).map((i) => `  - ${i.path.length ? i.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('') : '(top level)'}: ${i.message}`)
  fail(`invalid input in ${file}:\n${issues.join('\n')}${parsed.error.issues.length > 20 ? `\n  … ${parsed.error.issues.length - 20} more` : ''}`)
}

const lines = parsed.data.map((row) => {
  const v = classifyProbe(row, { ...DEFAULT_CONTEXT, ...row.context })
  return JSON.stringify(values.detail ? v : { verdict: v.verdict, reason: v.reason })
})
process.stdout.write(lines.length ? `${lines.join('\n')}\n` : '')
