// `npm run export` end to end, drawn from a rehearsal's recording and the run folder together: `npm run demo:rehearse`
// against the fake lab (the fake API server with the whole lab) records every step; later, two live runs go to the
// run folder. The PDF is read back: the newer run of each step is drawn (the two live ones, the recording for the
// rest), each with its time, no page says "no recorded run", and a failed recorded run says "last run failed (time)".
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { recordRehearsal } from '../fakeLab/recording.ts'
import { startFakeKube } from '../fakeKube/server.ts'
import type { FakeKube } from '../fakeKube/server.ts'
import { startDemoServer } from '../../demo-server/src/server.ts'
import { repoRoot } from '../../demo-server/src/launch.ts'
import { labObjects } from '../support/labObjects.ts'
import { attachWhisker, cellRecords, platformDenyAtEnd, profile } from '../support/flowLab.ts'
import { connectDeck } from '../support/wsClient.ts'
import { policySteps } from '../../demo-server/src/catalog/policySteps.ts'
import { readManifests } from '../../demo-server/src/manifests.ts'

const entry = process.env.DECK_ENTRY ?? 'slides.md'
const work = mkdtempSync(join(tmpdir(), 'export-'))
const runs = join(work, 'runs')
const out = join(work, 'out')
let fake: FakeKube
let pdfText = ''
let exportLog = ''

before(async () => {
  // yesterday: the dress rehearsal, every step
  const { report, recordingDir } = await recordRehearsal(join(work, 'rehearsal'))
  assert.equal(report.ready, true, report.verdict)
  // today: two steps run live (on another fake cluster, so their output tells them apart)
  fake = await startFakeKube({ objects: labObjects() })
  fake.onExec(() => ({ steps: [{ stdout: '<title>Simple Bookstore App</title>\n' }], exitCode: 0 }))
  // Calico's flow logs of a probe the staged default deny would drop (test/support/flowLab.ts)
  const whisker = await attachWhisker(fake)
  const wouldDeny = { action: 'Allow' as const, enforced: [profile('dev1')], pending: [platformDenyAtEnd(true)] }
  for (const r of cellRecords('productpage', 'details', Math.floor(Date.now() / 1000) - 20, { src: wouldDeny, dst: wouldDeny })) whisker.whisker.add(r)
  const token = 'export-test-token-0123456789'
  const server = await startDemoServer({
    access: { kubeConfig: fake.kubeConfig('fake-lab'), context: 'fake-lab', server: fake.url, problem: null },
    token,
    allowedOrigins: ['http://localhost:1'],
    repoRoot,
    storeDir: runs,
  })
  const deck = await connectDeck(server.url, token, 'http://localhost:1')
  for (const action of ['nodes-wide', 'probe-ratings-productpage', 'flows-dev1-recent']) {
    deck.send({ type: 'run', action })
    await deck.waitFor((m) => m.type === 'exit' && m.action === action)
  }
  deck.close()
  await server.close()
  await whisker.close()
  await fake.close()

  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, 'scripts', 'export.ts'), '--runs', runs, '--recording', recordingDir, '--out', out, '--entry', entry], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] })
    child.stdout.on('data', (d: Buffer) => {
      exportLog += d.toString()
      process.stdout.write(d)
    })
    child.on('exit', (c) => resolve(c ?? 1))
  })
  assert.equal(code, 0, 'npm run export exits 0')
  pdfText = execFileSync('pdftotext', ['-layout', join(out, 'talk.pdf'), '-'], { encoding: 'utf8' })
})
after(() => fake?.close())

test('the PDF carries the newer run of each step: the two live ones from the run folder, the rest from the recording, each with its time', () => {
  assert.match(exportLog, /the recording .*recording \(the newer run of each step\)/)
  assert.match(pdfText, /<title>Simple Bookstore App<\/title>/)
  assert.match(pdfText, /\$ kubectl get nodes -o 'custom-columns=/)
  const pages = pdfText.split('\f')
  const nodes = pages.filter((p) => p.includes("$ kubectl get nodes -o 'custom-columns="))
  assert.ok(nodes.length >= 1)
  for (const page of nodes) {
    assert.match(page, /\bcontrol\s+198\.19\.0\.1/, 'the live run, newer than the rehearsal’s')
    assert.doesNotMatch(page, /calico-lab-control-plane\s+198\./, 'not the rehearsal’s older run')
  }
  assert.match(pages.find((p) => p.includes('$ kubectl get all -n dev1')) ?? '', /pod\/details-v1-/, 'a step only the recording has')
  assert.match(pdfText, /recorded at \d\d:\d\d/)
  assert.doesNotMatch(pdfText, /replay of /)
  assert.deepEqual(pages.flatMap((p, i) => (/no recorded run/.test(p) ? [i + 1] : [])), [], 'pages that say "no recorded run"')
  assert.deepEqual(pages.flatMap((p, i) => (/not run yet/.test(p) ? [i + 1] : [])), [], 'pages with a component never run')
  // the probes that policies deny end non-zero: their recorded runs say so, with their time — never "replay"
  assert.match(pages.find((p) => p.includes('the pod probes again, after the policies')) ?? '', /last run failed \(\d\d:\d\d\)/)
  for (const step of policySteps) {
    assert.match(pages.find((p) => p.includes(step.file)) ?? '', /45 probes · [\d.]+ s · 0 mismatches/, `${step.id}: a policy step’s slide draws the matrix its apply re-ran`)
  }
  // every matrix of the rehearsal read Calico's flow logs (the fake lab serves them): none says it could not
  assert.doesNotMatch(pdfText, /flow logs could not be read/)
  // the rehearsal ran on the fake lab: what it recorded says so
  assert.match(pdfText, /recorded at \d\d:\d\d on fake-calico-lab \(not a cluster\)/)
})

/** The staged platform deny's verdict on a record, however the PDF's text wraps it. */
const STAGED_DENY = /staged: would deny — tier platform-baseline › end of tier \(selected by staged\s+platform-baseline\.dev1-default-deny\)\s+›\s+Deny/

test('the PDF draws the recorded flow records: who, Calico\'s verdict, what the staged policy would do', () => {
  const page = pdfText.split('\f').find((p) => p.includes("Calico's flow logs for dev1, the last 3 minutes")) ?? ''
  // the run folder's run (newer than the rehearsal's), labelled like every recorded run, with its fake's context
  assert.match(page, /recorded at \d\d:\d\d on fake-lab \(not a cluster\)/)
  assert.match(page, /dev1\/productpage-v1-bcc6748f7-\* → dev1\/details-v1-[\s\S]{0,200}?766844796b-\*/)
  assert.match(page, STAGED_DENY)
  assert.match(page, /2 records · 2 a staged policy would change/)
})

test('the staged step draws the rehearsal\'s watch — stopped once its slide\'s steps had ended — as a recording, beside its matrix', () => {
  const staged = policySteps[0]!
  const page = pdfText.split('\f').find((p) => p.includes(staged.file)) ?? ''
  // compact under the policy: no title, the command says what it is; the newest records, the rest counted
  assert.match(page, /\$ kubectl port-forward -n calico-system[\s\S]{0,200}?service\/whisker/)
  assert.match(page, /\d+ older records left out/)
  // the matrix and the watch beside the step do not repeat its label: one label says what all three are
  assert.match(page, /recorded at \d\d:\d\d on fake-calico-lab \(not a cluster\)/)
  assert.doesNotMatch(page, /last run (cancelled|failed)/)
  assert.match(page, /45 probes · [\d.]+ s · 0 mismatches/)
})

test('the PPTX exists and carries speaker notes', () => {
  const pptx = readFileSync(join(out, 'talk.pptx'))
  assert.ok(statSync(join(out, 'talk.pptx')).size > 10_000)
  assert.ok(pptx.includes('ppt/notesSlides/notesSlide1.xml'), 'notes slides are in the package')
})

test("one PDF page per slide, each slide's title on its own page", async () => {
  const { load } = await import('@slidev/parser/fs')
  const data = await load(repoRoot, entry)
  const slides = data.slides.filter((s) => !s.frontmatter?.hide && !s.frontmatter?.disabled)
  const info = execFileSync('pdfinfo', [join(out, 'talk.pdf')], { encoding: 'utf8' })
  assert.equal(Number(/^Pages:\s+(\d+)/m.exec(info)?.[1]), slides.length)
  const missing: string[] = []
  slides.forEach((slide, i) => {
    const title = (slide.title ?? '').replace(/<[^>]+>/g, '').replace(/[*_`]/g, '').trim()
    if (!title) return
    const letters = (t: string) => t.normalize('NFKC').replace(/[^\p{L}\p{N}]+/gu, ' ')
    const page = letters(execFileSync('pdftotext', ['-f', String(i + 1), '-l', String(i + 1), join(out, 'talk.pdf'), '-'], { encoding: 'utf8' }))
    const words = letters(title).split(/\s+/).filter((w) => w.length > 3).slice(0, 3)
    if (!words.every((w) => page.includes(w))) missing.push(`page ${i + 1}: "${title}"`)
  })
  assert.deepEqual(missing, [], 'slide titles found on their pages')
})

/** Distinct grey levels of a page rendered small: a blank page has one or two. */
function greyLevels(pageNo: number): number {
  const ppm = execFileSync('pdftoppm', ['-r', '24', '-gray', '-f', String(pageNo), '-l', String(pageNo), join(out, 'talk.pdf')])
  // PGM: "P5\n<w> <h>\n255\n" then one byte per pixel
  const header = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(ppm.subarray(0, 40).toString('latin1'))
  assert.ok(header, 'pdftoppm -gray writes a PGM')
  const pixels = ppm.subarray(header[0].length)
  const levels = new Set<number>()
  for (const p of pixels) levels.add(p >> 3)
  return levels.size
}

test('pages are not blank (first, a middle one, the demo slide, the last)', () => {
  const info = execFileSync('pdfinfo', [join(out, 'talk.pdf')], { encoding: 'utf8' })
  const pages = Number(/^Pages:\s+(\d+)/m.exec(info)?.[1])
  const demo = pdfText.split('\f').findIndex((p) => p.includes("$ kubectl get nodes -o 'custom-columns=")) + 1
  for (const no of new Set([1, Math.ceil(pages / 2), demo, pages])) {
    assert.ok(no >= 1)
    assert.ok(greyLevels(no) > 4, `page ${no} has content`)
  }
})

test("each policy step's page carries its policy file: the deck's preparser ran in the export too", () => {
  const pages = pdfText.split('\f')
  const missing = policySteps.filter((step) => {
    const names = readManifests(repoRoot, [step.file]).map((o) => o.metadata?.name ?? '')
    const page = pages.find((p) => p.includes(step.file)) ?? ''
    return !names.some((name) => name && page.includes(`name: ${name}`))
  })
  assert.deepEqual(missing.map((s) => s.file), [])
})
