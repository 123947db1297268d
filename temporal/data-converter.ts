import type { DataConverter } from '@temporalio/common';
import { EncryptionCodec } from './codec';

/** The one data converter of the client (API, scripts, tests) and the worker. */
export function createDataConverter(payloadEncryptionKeys: string): DataConverter {
  return {
    failureConverterPath: require.resolve('./failure-converter'),
    payloadCodecs: [EncryptionCodec.fromSpec(payloadEncryptionKeys)],
  };
}
