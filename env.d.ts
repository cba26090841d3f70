/// <reference types="vite/client" />
interface ImportMetaEnv {
  /** Base URL of the demo server, e.g. http://127.0.0.1:7070 — set by `npm start` / `npm run export`. */
  readonly VITE_DEMO_SERVER?: string
  /** Per-start random token the demo server requires on every WebSocket. */
  readonly VITE_DEMO_TOKEN?: string
}
interface ImportMeta {
  readonly env: ImportMetaEnv
}
