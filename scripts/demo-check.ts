// npm run demo:check [-- --context NAME] — the preflight checklist, 5 minutes before the talk.
// Prints ✔ / ✘ / – per check with the fix for each ✘; exits 1 if any check failed, 2 on bad usage.
import { loadClusterAccess } from '../demo-server/src/cluster.ts'
import { formatChecklist, runPreflight } from '../demo-server/src/preflight.ts'
import { collectAllowedProgram } from '../demo-server/src/runner/host.ts'
function parseArgs(argv: string[]): { context?: string } {
  const out: { context?: string } = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--context') out.context = argv[++i]
    else if (arg?.startsWith('--context=')) out.context = arg.slice('--context='.length)
    else if (arg === '-h' || arg === '--help') {
      console.log('usage: npm run demo:check [-- --context NAME]')
      process.exit(0)
    } else {
      console.error(`unknown argument: ${arg}`)
      process.exit(2)
    }
  }
  if (argv.includes('--context') && !out.context) {
    console.error('--context needs a name')
    process.exit(2)
  }
  return out
}

async function main(): Promise<void> {
  const { context } = parseArgs(process.argv.slice(2))
  const access = loadClusterAccess(context)
  if (!access.kubeConfig) {
    console.error(`✘ ${access.problem}`)
    process.exit(1)
  }
  const checks = await runPreflight(access.kubeConfig, { runHost: (argv) => collectAllowedProgram(argv, 10_000) })
  console.log(formatChecklist(checks, Boolean(process.stdout.isTTY)))
  process.exit(checks.some((c) => c.status === 'fail') ? 1 : 0)
}

if (import.meta.main) await main()
