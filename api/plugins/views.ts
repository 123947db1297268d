import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import view from '@fastify/view';
import { Eta } from 'eta';

/** The templates of every HTML page of the API (staff console, client portal): `api/views`, copied beside the build. */
export const VIEWS = path.resolve(__dirname, '../views');

/**
 * The one way the API renders a page: eta templates from `api/views`, every value escaped unless a template says
 * otherwise (`<%~`, only for other templates' output). Registered per plugin (console, portal), each in its own
 * encapsulated context, on the same root, so both share the partials (`partials/filing-content` shows a filing's
 * content in both).
 */
export async function registerViews(app: FastifyInstance): Promise<void> {
  await app.register(view, {
    engine: { eta: new Eta({ views: VIEWS, autoEscape: true, autoTrim: false }) },
    root: VIEWS,
    viewExt: 'eta',
  });
}
