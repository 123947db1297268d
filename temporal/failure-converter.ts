import { DefaultFailureConverter } from '@temporalio/common';

/**
 * Moves failure messages and stack traces into an encoded payload, so the payload codec encrypts them too.
 * Loaded by path (`failureConverterPath`) because the workflow sandbox needs it as well.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
