// npm run demo:check [-- --context NAME] — the preflight checklist, 5 minutes before the talk.
// Prints ✔ / ✘ / – per check with the fix for each ✘; exits 1 if any check failed, 2 on bad usage.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { delimiter, join } from 'node:path'
import * as k8s from '@kubernetes/client-node'
import { HOST_PROGRAMS } from '../demo-server/src/catalog/demo.ts'
import { runPreflight } from '../demo-server/src/preflight.ts'
import type { CheckResult, HostResult } from '../demo-server/src/preflight.ts'

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

/** Runs an allow-listed argv without a shell. */
function runHost(argv: readonly string[]): Promise<HostResult> {
  const [program, ...args] = argv
  if (!program || !(HOST_PROGRAMS as readonly string[]).includes(program)) {
    return Promise.reject(new Error(`refused: ${program} is not an allowed host program`))
  }
  return new Promise((resolve) => {
    execFile(program, args, { timeout: 10_000, shell: false }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 127) : 0
      resolve({ code, stdout: String(stdout), stderr: error && !stderr ? error.message : String(stderr) })
    })
  })
}

/** client-node falls back to http://localhost:8080 when it finds no kubeconfig: say "no kubeconfig" instead. */
function kubeconfigExists(): boolean {
  const paths = process.env.KUBECONFIG ? process.env.KUBECONFIG.split(delimiter).filter(Boolean) : [join(homedir(), '.kube', 'config')]
  return paths.some((p) => existsSync(p)) || Boolean(process.env.KUBERNETES_SERVICE_HOST)
}

export function formatChecklist(checks: CheckResult[]): string {
  const lines: string[] = []
  for (const c of checks) {
    const mark = c.status === 'pass' ? '✔' : c.status === 'fail' ? '✘' : '–'
    lines.push(`${mark} ${c.title} — ${c.detail}`)
    if (c.status === 'fail' && c.fix) lines.push(`    fix: ${c.fix}`)
  }
  const failed = checks.filter((c) => c.status === 'fail').length
  lines.push('', failed === 0 ? 'Ready for the demo.' : `${failed} check(s) failed: fix them, then run npm run demo:check again.`)
  return lines.join('\n')
}

async function main(): Promise<void> {
  const { context } = parseArgs(process.argv.slice(2))
  if (!kubeconfigExists()) {
    console.error('✘ no kubeconfig found (KUBECONFIG unset or missing, no ~/.kube/config): run npm run cluster:kind (rehearsal), or export KUBECONFIG=… (VMs, npm run cluster:vms prints it)')
    process.exit(1)
  }
  const kc = new k8s.KubeConfig()
  try {
    kc.loadFromDefault()
  } catch (e) {
    console.error(`✘ cannot read the kubeconfig: ${e instanceof Error ? e.message : String(e)}`)
    process.exit(1)
  }
  if (context) {
    if (!kc.getContexts().some((c) => c.name === context)) {
      console.error(`✘ no context named ${context} in the kubeconfig (kubectl config get-contexts)`)
      process.exit(1)
    }
    kc.setCurrentContext(context)
  }
  if (!kc.getCurrentContext()) {
    console.error('✘ no kubeconfig with a current context: run npm run cluster:kind (rehearsal) or export KUBECONFIG=… (VMs)')
    process.exit(1)
  }
  const checks = await runPreflight(kc, { runHost })
  console.log(formatChecklist(checks))
  process.exit(checks.some((c) => c.status === 'fail') ? 1 : 0)
}

if (import.meta.main) await main()
