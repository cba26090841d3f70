// npm run demo:rehearse [-- --context NAME] [--out rehearsal] [--budget 30] [--dry-run]
// The dress rehearsal, the day before: every demo step once against the kube context, in the order the slides show
// them, through the deck's own runner and run store; then the open baseline restored (demo:reset's steps). Prints a
// line per step, writes OUT/REPORT.md (its first line says "ready" or "not ready — why") and OUT/report.json, and keeps
// the runs in OUT/recording/ — the recording `npm start` and `npm run export` replay when the cluster is not there.
// Ctrl-C cancels the running step and still restores the baseline (a second Ctrl-C stops at once).
//
// --context NAME  the kube context (default: the current one). A context that is not the lab's by name (kind-calico-lab,
//                 or the VMs' kubeconfig's) is refused unless named here; any context without the lab in it is refused.
// --out DIR       where the report and the recording go (default: rehearsal/)
// --budget MIN    the demo's time budget in minutes (default: 30, the assessment's)
// --dry-run       print the steps in order, each with its slide and command, and touch nothing (no cluster needed)
//
// Exit: 0 ready · 1 not ready · 2 bad usage · 3 refused, nothing applied · 130 stopped by Ctrl-C (baseline restored).
import { relative, resolve } from 'node:path'
import { loadClusterAccess } from '../demo-server/src/kube/cluster.ts'
import { parseCommandLine, repoRoot } from '../demo-server/src/launch.ts'
import { Catalog, defaultActions } from '../demo-server/src/catalog/index.ts'
import { labFor } from '../demo-server/src/catalog/lab.ts'
import { planLines, planRehearsal } from './lib/rehearsal/plan.ts'
import { rehearse } from './lib/rehearsal/run.ts'
import { DEMO_BUDGET_SECONDS, readDeck } from './lib/slides.ts'

const command = 'npm run demo:rehearse'
const usage = 'npm run demo:rehearse -- [--context NAME] [--out rehearsal] [--budget 30] [--dry-run]'
const { values } = parseCommandLine(command, { context: { type: 'string' }, out: { type: 'string' }, budget: { type: 'string' }, 'dry-run': { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } }, usage)
if (values.help) {
  console.log(`usage: ${usage}`)
  process.exit(0)
}
const budgetMinutes = values.budget === undefined ? DEMO_BUDGET_SECONDS / 60 : Number(values.budget)
if (!(budgetMinutes > 0 && budgetMinutes <= 600)) {
  console.error(`${command}: --budget is the demo's length in minutes (e.g. 30), not ${JSON.stringify(values.budget)}`)
  process.exit(2)
}
const outDir = resolve(values.out ?? resolve(repoRoot, 'rehearsal'))
const shown = (path: string) => (path.startsWith(repoRoot) ? relative(process.cwd(), path) || '.' : path)

const access = loadClusterAccess(values.context)
if (values['dry-run']) {
  const lab = labFor(access.context)
  const plan = planRehearsal(await readDeck(), new Catalog(defaultActions(), repoRoot, lab))
  console.log(`the rehearsal's steps, in slide order (lab: ${lab}); nothing runs:`)
  for (const line of planLines(plan, lab)) console.log(line)
  process.exit(plan.problems.length > 0 ? 1 : 0)
}
const stop = new AbortController()
const stopRestoring = new AbortController()
const interrupt = () => {
  if (!stop.signal.aborted) {
    console.log('\n■ stopping: the running step is cancelled, then the open baseline is restored (Ctrl-C again to stop at once)')
    stop.abort()
  } else if (!stopRestoring.signal.aborted) {
    console.log('■ stopping now: the open baseline may not be restored — run npm run demo:reset')
    stopRestoring.abort()
  }
}
process.on('SIGINT', interrupt)
process.on('SIGTERM', interrupt)

const outcome = await rehearse({
  access,
  explicitContext: values.context !== undefined,
  outDir,
  budgetSeconds: budgetMinutes * 60,
  signal: stop.signal,
  restoreSignal: stopRestoring.signal,
  log: (line) => console.log(line),
})
if (outcome.refused) {
  console.error(`✘ refused: ${outcome.reasons.join('; ')}`)
  console.error('nothing was applied.')
  process.exit(3)
}
const { report, files } = outcome
console.log('')
console.log(report.verdict)
console.log(`report: ${shown(files.markdown)}, ${shown(files.json)} · recording: ${shown(report.recording.dir)}/ (${report.recording.runs} runs)`)
process.exit(report.interrupted ? 130 : report.ready ? 0 : 1)
