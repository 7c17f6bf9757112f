#!/usr/bin/env node
// The `maskgen` command: runs the compiled CLI when `npm run build` produced it, else the TypeScript
// sources through @swc-node/register (as the npm scripts do), so it works right after `npm ci`.
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports, no-restricted-properties -- a CommonJS launcher; SWC_NODE_PROJECT is swc-node's own setting, not maskgen configuration */
const { existsSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const compiled = path.join(root, 'dist/apps/cli/apps/cli/src/main.js');
if (existsSync(compiled)) {
  require(compiled);
} else {
  // Resolve the tsconfig of the repository, not of the caller's working directory.
  process.env.SWC_NODE_PROJECT = process.env.SWC_NODE_PROJECT || path.join(root, 'tsconfig.json');
  require('@swc-node/register');
  require(path.join(root, 'apps/cli/src/main.ts'));
}
