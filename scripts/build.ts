/**
 * `npm run build`: compiles to dist/, copies the SQL migrations beside the compiled migrator and the worker-thread entry, and pre-bundles the
 * workflow code (dist/workflow-bundle.js) so production workers start without webpack.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflows } from '../worker/bundle';

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');

async function main(): Promise<void> {
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
  mkdirSync(path.join(dist, 'db'), { recursive: true });
  cpSync(path.join(root, 'db', 'migrations'), path.join(dist, 'db', 'migrations'), { recursive: true });
  // The staff console's templates and assets are read at run time next to the compiled code.
  cpSync(path.join(root, 'api', 'views'), path.join(dist, 'api', 'views'), { recursive: true });
  cpSync(path.join(root, 'api', 'assets'), path.join(dist, 'api', 'assets'), { recursive: true });
  // The entry of the API's worker threads is plain JavaScript (it loads the compiled tasks beside it).
  cpSync(path.join(root, 'api', 'services', 'off-thread-worker.cjs'), path.join(dist, 'api', 'services', 'off-thread-worker.cjs'));
  const bundle = await bundleWorkflows();
  writeFileSync(path.join(dist, 'workflow-bundle.js'), bundle.code);
  console.log('built dist/ (compiled code, migrations, workflow bundle)');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
