// `npm run export` end to end, drawn from a rehearsal's recording: `npm run demo:rehearse` against the fake lab (the
// fake API server with the whole lab) records every step; the deck is exported from that recording alone (no cluster,
// an empty run folder), and the PDF is read back: every live component shows its recorded run with its time, no page
// says "no recorded run", and a failed recorded run says "last run failed (time)".
import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { repoRoot } from '../../demo-server/src/launch.ts'
import { recordRehearsal } from '../fakeLab/recording.ts'

const entry = process.env.DECK_ENTRY ?? 'slides.md'
const work = mkdtempSync(join(tmpdir(), 'export-'))
const runs = join(work, 'runs')
const out = join(work, 'out')
let pdfText = ''
let exportLog = ''

before(async () => {
  const { report, recordingDir } = await recordRehearsal(join(work, 'rehearsal'))
  assert.equal(report.ready, true, report.verdict)

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

test('the PDF is drawn from the recording: every live component shows its recorded run with its time, none says "no recorded run"', () => {
  assert.match(exportLog, /the recording .*recording \(the newer run of each step\)/)
  assert.match(pdfText, /<title>Simple Bookstore App<\/title>/)
  assert.match(pdfText, /calico-lab-control-plane\s+Ready\s+control-plane/)
  assert.match(pdfText, /\$ kubectl get nodes -o wide/)
  assert.match(pdfText, /recorded at \d\d:\d\d/)
  const pages = pdfText.split('\f')
  assert.deepEqual(pages.flatMap((p, i) => (/no recorded run/.test(p) ? [i + 1] : [])), [], 'pages that say "no recorded run"')
  assert.deepEqual(pages.flatMap((p, i) => (/not run yet/.test(p) ? [i + 1] : [])), [], 'pages with a component never run')
  assert.doesNotMatch(pdfText, /replay of /)
  // the probes that policies deny end non-zero: their recorded runs say so, with their time
  const after = pages.find((p) => p.includes('the same probes, after the policies')) ?? ''
  assert.match(after, /last run failed \(\d\d:\d\d\)/)
  assert.match(pages.find((p) => p.includes('Step 3 · details accepts productpage')) ?? '', /45 probes · [\d.]+ s · 0 mismatches/, 'a policy step’s slide draws the matrix its apply re-ran')
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
  const demo = pdfText.split('\f').findIndex((p) => p.includes('$ kubectl get nodes -o wide')) + 1
  for (const no of new Set([1, Math.ceil(pages / 2), demo, pages])) {
    assert.ok(no >= 1)
    assert.ok(greyLevels(no) > 4, `page ${no} has content`)
  }
})
