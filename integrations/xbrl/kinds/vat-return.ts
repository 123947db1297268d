/** The aangifte omzetbelasting as XBRL: built from the figures, a ready instance read back, the boxes shown. */
import { parsePeriod } from '../../../domain/periods';
import { roundVatReturn } from '../../../domain/vat';
import { OB_SCHEME } from '../header';
import { buildVatReturnInstance, readVatReturnInstance } from '../vat-return';
import { plausible, vatFigures } from './figures';
import type { KindContent } from './types';

export const vatReturnContent: KindContent = {
  entityScheme: OB_SCHEME,
  build: (request, { identifier, period, now, header }) =>
    buildVatReturnInstance({ obNumber: identifier, period, amounts: plausible(roundVatReturn(vatFigures(request)), period, now), header }),
  checkReady: (instance, _request, { identifier, period, now }) => {
    plausible(readVatReturnInstance(instance, { obNumber: identifier, period }).amounts, period, now);
  },
  portalView: (f) => {
    if (!f.contentXml) return undefined;
    const read = readVatReturnInstance(f.contentXml, { obNumber: f.identityNumber, period: parsePeriod(f.period ?? '') });
    return { layout: 'form-boxes', amounts: read.amounts };
  },
};
