/** The suppletie omzetbelasting as XBRL: the corrected return plus 5e–5g. */
import { ValidationError } from '../../../domain/errors';
import { parsePeriod } from '../../../domain/periods';
import { roundVatReturn } from '../../../domain/vat';
import { OB_SCHEME } from '../header';
import { buildSupplementInstance, readSupplementInstance } from '../supplement';
import { euros, plausible, vatFigures } from './figures';
import type { KindContent } from './types';

export const vatSupplementContent: KindContent = {
  entityScheme: OB_SCHEME,
  build: (request, { identifier, period, now, header }) => {
    const declared = euros(request.alreadyDeclared, 'alreadyDeclared');
    if (declared === undefined) throw new ValidationError('alreadyDeclared', 'a supplement needs what was declared so far (5f)');
    if (declared % 100 !== 0) throw new ValidationError('alreadyDeclared', 'what was declared so far (5f) is in whole euros');
    return buildSupplementInstance({ obNumber: identifier, period, amounts: plausible(roundVatReturn(vatFigures(request)), period, now), alreadyDeclared5g: declared / 100, header });
  },
  checkReady: (instance, _request, { identifier, period, now }) => {
    plausible(readSupplementInstance(instance, { obNumber: identifier, period }).amounts, period, now);
  },
  portalView: (f) => {
    if (!f.contentXml) return undefined;
    const read = readSupplementInstance(f.contentXml, { obNumber: f.identityNumber, period: parsePeriod(f.period ?? '') });
    return { layout: 'form-boxes', amounts: read.amounts, supplement: read.supplement };
  },
};
