// A rehearsal recording made the way a presenter makes one — `npm run demo:rehearse` — against the fake lab, for tests
// that need one (the deck replaying it offline, the export drawing it).
import { join } from 'node:path'
import { rehearse } from '../../scripts/lib/rehearsal/run.ts'
import type { RehearsalReport } from '../../scripts/lib/rehearsal/report.ts'
import { fakeLabActions, startFakeLab, TEST_FLOW_BUCKET_SECONDS } from './lab.ts'
import type { FakeLab } from './lab.ts'

/**
 * Rehearses on a fresh fake lab into `outDir` (REPORT.md, report.json, recording/); `arrange` may change the lab first
 * (e.g. make a step fail). Flow records come in 1 s buckets and the matrices wait one of them for Calico's opinion
 * (fakeLabActions), so a recording takes seconds. Returns the report and the recording's folder.
 */
export async function recordRehearsal(outDir: string, arrange?: (lab: FakeLab) => void): Promise<{ report: RehearsalReport; recordingDir: string }> {
  const lab = await startFakeLab({ deniedMs: 40, allowedMs: 5, flowBucketSeconds: TEST_FLOW_BUCKET_SECONDS })
  const saved = { PATH: process.env.PATH, DEMO_LAB: process.env.DEMO_LAB }
  process.env.PATH = `${lab.binDir}:${saved.PATH}`
  process.env.DEMO_LAB = 'kind'
  try {
    arrange?.(lab)
    const outcome = await rehearse({
      access: { kubeConfig: lab.fake.kubeConfig(lab.context), context: lab.context, server: lab.fake.url, problem: null },
      explicitContext: true,
      outDir,
      signal: new AbortController().signal,
      actions: fakeLabActions(),
    })
    if (outcome.refused) throw new Error(`the fake lab was refused: ${outcome.reasons.join('; ')}`)
    return { report: outcome.report, recordingDir: join(outDir, 'recording') }
  } finally {
    process.env.PATH = saved.PATH
    if (saved.DEMO_LAB === undefined) delete process.env.DEMO_LAB
    else process.env.DEMO_LAB = saved.DEMO_LAB
    await lab.close()
  }
}
