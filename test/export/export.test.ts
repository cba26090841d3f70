// `npm run export` end to end: record a real run (against the fake API server) into a run store, export the
// deck from it, and read the PDF back: the recorded output is on the page, labelled as a replay.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startFakeKube } from '../fakeKube/server.ts'
import type { FakeKube } from '../fakeKube/server.ts'
import { startDemoServer } from '../../demo-server/src/server.ts'
import { repoRoot } from '../../demo-server/src/launch.ts'
import { labObjects } from '../support/labObjects.ts'
import { connectDeck } from '../support/wsClient.ts'

const entry = process.env.DECK_ENTRY ?? 'slides.md'
const work = mkdtempSync(join(tmpdir(), 'export-'))
const runs = join(work, 'runs')
const out = join(work, 'out')
let fake: FakeKube
let pdfText = ''

before(async () => {
  fake = await startFakeKube({ objects: labObjects() })
  fake.onExec(() => ({ steps: [{ stdout: '<title>Simple Bookstore App</title>\n' }], exitCode: 0 }))
  const token = 'export-test-token-0123456789'
  const server = await startDemoServer({
    access: { kubeConfig: fake.kubeConfig('fake-lab'), context: 'fake-lab', server: fake.url, problem: null },
    token,
    allowedOrigins: ['http://localhost:1'],
    repoRoot,
    storeDir: runs,
  })
  const deck = await connectDeck(server.url, token, 'http://localhost:1')
  for (const action of ['nodes-wide', 'ratings-to-productpage']) {
    deck.send({ type: 'run', action })
    await deck.waitFor((m) => m.type === 'exit' && m.action === action)
  }
  deck.close()
  await server.close()
  await fake.close()

  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, 'scripts', 'export.ts'), '--runs', runs, '--out', out, '--entry', entry], { cwd: repoRoot, stdio: 'inherit' })
    child.on('exit', (c) => resolve(c ?? 1))
  })
  assert.equal(code, 0, 'npm run export exits 0')
  pdfText = execFileSync('pdftotext', ['-layout', join(out, 'talk.pdf'), '-'], { encoding: 'utf8' })
})
after(() => fake?.close())

test('the PDF carries the recorded output of both actions, labelled as a replay', () => {
  assert.match(pdfText, /<title>Simple Bookstore App<\/title>/)
  assert.match(pdfText, /control\s+Ready\s+control-plane/)
  assert.match(pdfText, /replay of /)
  assert.match(pdfText, /\$ kubectl get nodes -o wide/)
  assert.doesNotMatch(pdfText, /not run yet/, 'every recorded action is drawn from the store')
})

test('the PPTX exists and carries speaker notes', () => {
  const pptx = readFileSync(join(out, 'talk.pptx'))
  assert.ok(statSync(join(out, 'talk.pptx')).size > 10_000)
  assert.ok(pptx.includes('ppt/notesSlides/notesSlide1.xml'), 'notes slides are in the package')
})
