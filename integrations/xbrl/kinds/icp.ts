/** The opgaaf ICP as XBRL: the lines totalled per customer; the client sees the totals. */
import { parsePeriod } from '../../../domain/periods';
import type { IcpCategory, IcpLine } from '../../../domain/vat';
import { OB_SCHEME } from '../header';
import { buildIcpInstance, readIcpInstance } from '../icp';
import { euros } from './figures';
import type { KindContent } from './types';

export const icpContent: KindContent = {
  entityScheme: OB_SCHEME,
  build: (request, { identifier, period, header }) => {
    const lines: IcpLine[] = (request.icpLines ?? []).map((line, i) => ({
      countryCode: line.countryCode,
      vatNumber: line.vatNumber,
      category: line.category as IcpCategory,
      amountCents: euros(line.amount, `icpLines[${i}].amount`)!,
    }));
    return buildIcpInstance({ obNumber: identifier, period, lines, header });
  },
  checkReady: (instance, _request, { identifier, period }) => {
    readIcpInstance(instance, { obNumber: identifier, period });
  },
  portalView: (f) => {
    if (!f.contentXml) return undefined;
    const read = readIcpInstance(f.contentXml, { obNumber: f.identityNumber, period: parsePeriod(f.period ?? '') });
    return {
      layout: 'amounts-table',
      columns: ['icp_category', 'icp_country', 'icp_vatNumber', 'icp_amount'],
      rows: read.totals.map((t) => ({ cells: [t.category, t.countryCode, t.vatNumber], amount: t.amount })),
    };
  },
};
