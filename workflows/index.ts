// Every workflow the worker runs; the worker bundles this file (workflowsPath) for the workflow sandbox.
export { platformCheck } from './platform-check';
export { filing } from './filing';
export { sendReceive, sendReceiveHub } from './send-receive';
export { mandate } from './mandate';
export { certificateRunbook } from './certificate-runbook';
export { certificateExpiryWatch } from './certificate-expiry';
export { viaRetrieval } from './via-retrieval';
export { clientDeparture } from './client-departure';
