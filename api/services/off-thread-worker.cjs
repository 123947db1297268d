'use strict';
// Entry of the API's worker threads (off-thread.ts): the compiled tasks when built (dist/), else the TypeScript
// source through tsx, which is how `npm start`, `npm test` and `npm run api` run.
const path = require('node:path');

let tasks;
try {
  tasks = require(path.join(__dirname, 'off-thread-tasks.js')).TASKS;
} catch (err) {
  if (err.code !== 'MODULE_NOT_FOUND') throw err;
  require('tsx/cjs/api').register();
  tasks = require(path.join(__dirname, 'off-thread-tasks.ts')).TASKS;
}

module.exports = ({ task, input }) => tasks[task](input);
