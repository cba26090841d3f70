// npm run fake-lab [-- --denied-ms 2000]
// The test suite's fake API server with the whole lab loaded (test/fakeLab/), for trying the demo tools by hand on a
// machine with no cluster: prints the kubeconfig path and an env file to source, then runs until Ctrl-C. What it
// answers is test data: its probe answers and Calico's flow records (Whisker behind a port-forward, 15 s buckets as
// the release's) are written by the fake from the tests' own policy oracle, not by a cluster or by Calico. Its kube
// context is fake-calico-lab — the deck labels its recorded runs so — and its runs must never be committed as a
// recording.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseCommandLine } from '../../demo-server/src/launch.ts'
import { startFakeLab } from './lab.ts'

const command = 'npm run fake-lab'
const { values } = parseCommandLine(command, { 'denied-ms': { type: 'string', default: '2000' } }, 'npm run fake-lab -- [--denied-ms 2000]')
const deniedMs = Number(values['denied-ms'])
if (!Number.isInteger(deniedMs) || deniedMs < 0 || deniedMs > 60_000) {
  console.error(`${command}: --denied-ms must be a whole number of milliseconds (0–60000), not ${JSON.stringify(values['denied-ms'])}`)
  process.exit(2)
}

const dir = mkdtempSync(join(tmpdir(), 'fake-lab-'))
const lab = await startFakeLab({ deniedMs, dir })
const kubeconfig = join(dir, 'kubeconfig')
lab.fake.writeKubeconfig(kubeconfig, lab.context)
const envFile = join(dir, 'env')
writeFileSync(envFile, `export KUBECONFIG='${kubeconfig}'\nexport PATH='${lab.binDir}':"$PATH"\nexport DEMO_LAB=kind\n`)

console.log(`KUBECONFIG=${kubeconfig}`)
console.log(`fake lab     ${lab.fake.url} (context ${lab.context}; host1 and host2 through a stand-in docker in ${lab.binDir})`)
console.log(`flow logs    a fake whisker pod at ${lab.whisker.url}, reached by port-forward; its records are the fake's (the tests' policy oracle), not Calico's`)
console.log(`environment  ${envFile} (KUBECONFIG, PATH, DEMO_LAB=kind)`)
console.log('')
console.log('In another terminal, at the repository:')
console.log(`  . ${envFile}`)
console.log(`  npm run demo:rehearse -- --context ${lab.context} --out ${join(dir, 'rehearsal')}`)
console.log(`  npm run export -- --recording ${join(dir, 'rehearsal', 'recording')} --runs ${join(dir, 'runs')} --out ${join(dir, 'exports')}`)
console.log('Ctrl-C stops the fake lab.')

const stop = () => void lab.close().then(() => process.exit(0))
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
