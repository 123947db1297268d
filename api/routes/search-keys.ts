import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { taxIdentifierSearchValue } from '../../lib/search-keys';

/**
 * The Web UI search for a client's filings by OB or KvK number: Temporal holds only a keyed hash of the number (it may
 * contain a BSN), so staff ask the API for the value and the query to paste into the Web UI.
 */
const searchKeys: FastifyPluginAsyncTypebox<{ searchKey: Buffer }> = async (app, { searchKey }) => {
  app.get(
    '/api/search-attributes/tax-identifier',
    {
      onRequest: app.requireStaff,
      schema: {
        tags: ['platform'],
        summary: 'The TaxIdentifier search attribute value of an OB or KvK number',
        description: 'Temporal stores a keyed hash, never the number. Paste `query` into the Web UI\'s workflow search.',
        security: [{ staffToken: [] }],
        querystring: Type.Object({ identifier: Type.String({ minLength: 8, maxLength: 20, pattern: '^[0-9A-Za-z .]+$' }) }),
        response: { 200: Type.Object({ attribute: Type.Literal('TaxIdentifier'), value: Type.String(), query: Type.String() }) },
      },
    },
    async (request) => {
      const value = taxIdentifierSearchValue(searchKey, request.query.identifier);
      return { attribute: 'TaxIdentifier' as const, value, query: `TaxIdentifier = "${value}"` };
    },
  );
};

export default searchKeys;
