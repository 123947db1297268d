// Every workflow the worker runs; the worker bundles this file (workflowsPath) for the workflow sandbox.
export { platformCheck } from './platform-check';
export { filing } from './filing';
export { sendReceive } from './send-receive';
