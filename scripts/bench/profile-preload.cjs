// CPU profiles for `npm run bench -- --profile` (scripts/bench/profile.ts). Loaded with `node --require` through
// NODE_OPTIONS into every process of the bench's system; only the worker, API and simulator profile, and only
// between the bench's `start` and `stop` files in BENCH_PROFILE_DIR (registered in config/env.ts). Plain CommonJS:
// it runs before tsx is loaded.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const inspector = require('node:inspector');

const dir = process.env.BENCH_PROFILE_DIR;
const entry = process.argv.slice(1).join(' ');
const part = ['worker', 'api', 'simulator'].find((name) => entry.includes(`${name}/main.ts`));
if (dir && part) {
  let session;
  let state = 'waiting';
  const timer = setInterval(() => {
    if (state === 'waiting' && fs.existsSync(path.join(dir, 'start'))) {
      session = new inspector.Session();
      session.connect();
      session.post('Profiler.enable', () => session.post('Profiler.start'));
      state = 'running';
    } else if (state === 'running' && fs.existsSync(path.join(dir, 'stop'))) {
      state = 'done';
      clearInterval(timer);
      session.post('Profiler.stop', (err, result) => {
        if (!err) fs.writeFileSync(path.join(dir, `${part}-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
        session.disconnect();
      });
    }
  }, 250);
  timer.unref();
}
