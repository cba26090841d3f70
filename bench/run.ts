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
