/**
 * Codec key of the test runs and of the recorded histories in test/histories. A test-only key, public on purpose:
 * recorded histories must decode in CI. Never use it outside tests.
 */
export const TEST_PAYLOAD_ENCRYPTION_KEYS = 'test-2026:dGVzdC1vbmx5LWtleS1ub3Qtc2VjcmV0LTAxMjM0NTY=';

/** Master key that seals certificates in test databases. Test-only and public on purpose. */
export const TEST_CERTIFICATE_MASTER_KEYS = 'test-certs:dGVzdC1vbmx5LWNlcnRpZmljYXRlLWtleS0wMTIzNDU=';

/** Key of the TaxIdentifier search attribute's keyed hash in tests. Test-only and public on purpose. */
export const TEST_SEARCH_ATTRIBUTE_KEY = 'dGVzdC1vbmx5LXNlYXJjaC1hdHRyaWJ1dGUta2V5LTAxMjM0NTY3';
