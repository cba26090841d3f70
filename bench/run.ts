// `npm run bench`: every benchmark in one run, figures side by side with their goals. Nothing is asserted.
import { benchStreaming } from './streaming.ts'

const row = (name: string, value: string, goal: string) => console.log(`${name.padEnd(52)} ${value.padStart(14)}   goal ${goal}`)

console.log('── streaming (fake API server → demo server → WebSocket → LiveRun in Chromium) ──')
const s = await benchStreaming()
row(`exec byte → slide DOM latency p50 (${s.samples} lines)`, `${s.latencyP50.toFixed(1)} ms`, '—')
row('exec byte → slide DOM latency p95', `${s.latencyP95.toFixed(1)} ms`, '≤ 30 ms')
row('exec byte → slide DOM latency max', `${s.latencyMax.toFixed(1)} ms`, '—')
row(`${(s.bigBytes / 1024 / 1024).toFixed(1)} MB streamed: wall time`, `${s.bigSeconds.toFixed(2)} s`, '—')
row('  longest main-thread task meanwhile', `${s.longestTaskMs.toFixed(0)} ms`, '≤ 200 ms')
row('  long tasks (> 50 ms) meanwhile', String(s.longTasks), '—')
row('  output kept on the slide (chars) / 2 MB note shown', `${s.domChars} / ${s.truncationShown ? 'yes' : 'no'}`, '≤ 200000 / yes')

console.log('── policy engine (pure TypeScript: model, compile, evaluate) ──')
const { benchEngine } = await import('./engine.ts')
const e = benchEngine()
row(`${e.pods} pods, ${e.policies} policies: model + compile`, `${e.compileMs.toFixed(0)} ms`, '—')
row(`  ${e.probes.toLocaleString('en')} probes evaluated (${(e.allowedShare * 100).toFixed(0)} % allowed)`, `${e.evaluateMs.toFixed(0)} ms`, '—')
row('  compile + evaluate, all in', `${e.totalMs.toFixed(0)} ms`, '≤ 1000 ms')
row(`bookinfo matrix from manifests/ (${e.labProbes} probes), median`, `${e.labMs.toFixed(2)} ms`, '≤ 5 ms')
row(`  the slide's expectation (${e.slideCells} cells), median`, `${e.slideMs.toFixed(2)} ms`, '—')

console.log('── probe matrix (fake API server: exec latency injected, denied probes wait out their timeout) ──')
const { benchMatrix } = await import('./matrix.ts')
const m = await benchMatrix()
row(`${m.probes} probes (${m.denied} denied), ${m.timeoutSeconds} s timeout, ${m.execLatencyMs} ms latency`, String(m.probes), '≥ 42 probes')
row(`  parallel runner, ${m.concurrency} at a time (median of 3)`, `${m.parallelSeconds.toFixed(2)} s`, `≤ ${(1.3 * m.timeoutSeconds).toFixed(2)} s`)
row('  … as a multiple of one probe timeout', `${(m.parallelSeconds / m.timeoutSeconds).toFixed(2)} ×`, '≤ 1.3 ×')
row('  … first run of a fresh process (cold)', `${m.coldSeconds.toFixed(2)} s`, '—')
row('  sequential loop (one exec after the other)', `${m.sequentialSeconds.toFixed(1)} s`, '—')
row('  sequential / parallel', `${(m.sequentialSeconds / m.parallelSeconds).toFixed(1)} ×`, '≥ 10 ×')
row('  mismatches (the fake answers as the policies say)', String(m.mismatches), '0')
