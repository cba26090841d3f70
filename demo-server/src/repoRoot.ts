// Where the repository is, for everything that reads its files (manifests, slides, tools, run store). No imports, so
// the lightest entry points (npm start, the test-tool installer) can use it.
import { resolve } from 'node:path'

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..')
