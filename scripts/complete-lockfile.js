#!/usr/bin/env node
/**
 * The npm registry reachable from this project's machines serves only the Linux builds of platform-specific optional
 * packages (@swc/core-darwin-*, @esbuild/win32-*, ...). `npm install` then writes a lockfile without them, and
 * `npm ci` refuses that lockfile as "out of sync". This adds a version-only entry for each missing optional
 * package, which `npm ci` accepts and skips on this platform. Runs as `postinstall`, so the lockfile stays complete.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const file = path.join(__dirname, '..', 'package-lock.json');
if (!fs.existsSync(file)) process.exit(0);
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const packages = lock.packages || {};
let added = 0;
for (const [location, meta] of Object.entries(packages)) {
  for (const [name, range] of Object.entries(meta.optionalDependencies || {})) {
    const nested = `${location ? `${location}/` : ''}node_modules/${name}`;
    const hoisted = `node_modules/${name}`;
    if (packages[nested] || packages[hoisted]) continue;
    const entry = { version: String(range).replace(/^[\^~=]/, ''), optional: true };
    if (meta.dev) entry.dev = true;
    packages[hoisted] = entry;
    added++;
  }
}
if (added > 0) {
  lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
  fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
  console.log(`complete-lockfile: added ${added} optional platform package entries`);
}
