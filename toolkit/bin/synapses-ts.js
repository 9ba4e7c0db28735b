#!/usr/bin/env node
// The `synapses-ts` command: runs the compiled CLI (toolkit/dist, built by `npm run setup`).
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const main = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
if (!fs.existsSync(main)) {
  process.stderr.write(`synapses-ts: the toolkit is not built (${main} is missing); run \`npm run setup\` in the repository first\n`);
  process.exit(1);
}
require(main);
