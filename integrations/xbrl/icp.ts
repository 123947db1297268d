/**
 * Opgaaf intracommunautaire prestaties (ICP) as XBRL: filings-xbrl.md §2.
 *
 * - Totals per (category, country, customer VAT number) come from the domain's `aggregateIcp` (whole euros, rounded
 *   down, zero totals left out, sorted).
 * - NT20 (2026): one context per (country, VAT number) with the typed members `bd-axes:VATNumberDimension` and
 *   `bd-axes:CountryCodeEUDimension`; facts `SuppliesAmount` (goods), `ServicesAmount`, `ABCSuppliesAmount` [V
 *   ODOO-NT20]. Every context's entity identifier is the **declarant's** OB number.
 * - ≤ NT19: tuples `bd-t:IntraCommunitySupplies` / `IntraCommunityServices` / `IntraCommunityABCSupplies`, each with
 *   `CountryCodeISO-EC`, the amount (`SuppliesAmount`, also for ABC; `ServicesAmount`) and
 *   `VATIdentificationNumberNational`, in that order, in the main context [V ODOO19, MSBC].
 * - Header: `MessageReferenceSupplierICP`, no `ContactType` (§2). TaxConsultantNumber and the professional association
 *   are written as in the OB return when given [I: seen in Odoo/MSBC ICP test data, not stated in the reference].
 */
import { normalizeObNumber } from '../../domain/identifiers';
import type { TaxPeriod } from '../../domain/periods';
import { aggregateIcp, ICP_CATEGORIES, normalizeIcpCustomer, type IcpCategory, type IcpLine, type IcpTotal } from '../../domain/vat';
import {
  headerFacts,
  MAIN_CONTEXT_ID,
  openBdInstance,
  renderInstance,
  reportUnexpectedFacts,
  type ContextSpec,
  type FactSpec,
  type HeaderProfile,
  type TupleSpec,
  type XbrlHeader,
} from './header';
import { factsNamed, Problems, readWholeEuros, type XbrlContext, type XbrlFact, type XbrlInstance } from './parse';
import { icpEntryPoint, type TaxonomyEntry } from './taxonomy';
import { bdContexts, normalizeFiscalEntityDivision, validateBdInput } from './vat-return';

/** The ICP header: no ContactType, the ICP message reference (§2). */
export const ICP_HEADER: HeaderProfile = Object.freeze({
  contactType: false,
  messageReferenceConcept: 'MessageReferenceSupplierICP',
  instancesName: 'ICP instances',
});

/** NT20 amount concept per category. */
const NT20_AMOUNT: Readonly<Record<IcpCategory, string>> = {
  goods: 'SuppliesAmount',
  services: 'ServicesAmount',
  abc: 'ABCSuppliesAmount',
};

/** ≤ NT19 tuple and amount concept per category (ABC supplies use `SuppliesAmount` inside their own tuple). */
const TUPLES: Readonly<Record<IcpCategory, { tuple: string; amount: string }>> = {
  goods: { tuple: 'IntraCommunitySupplies', amount: 'SuppliesAmount' },
  services: { tuple: 'IntraCommunityServices', amount: 'ServicesAmount' },
  abc: { tuple: 'IntraCommunityABCSupplies', amount: 'SuppliesAmount' },
};

const COUNTRY_CONCEPT = 'CountryCodeISO-EC';
const VAT_NUMBER_CONCEPT = 'VATIdentificationNumberNational';
const VAT_NUMBER_DIMENSION = 'VATNumberDimension';
const VAT_NUMBER_DOMAIN = 'VATNumberDomain';
const COUNTRY_DIMENSION = 'CountryCodeEUDimension';
const COUNTRY_DOMAIN = 'CountryCodeEUDomain';

export interface IcpInput {
  /** The declarant's OB number, with or without `NL`; the entity identifier of every context. */
  obNumber: string;
  period: TaxPeriod;
  /** Invoice lines in cents; aggregated per customer and category with the domain's `aggregateIcp`. */
  lines: readonly IcpLine[];
  header: XbrlHeader;
  fiscalEntityDivision?: string;
}

function customerKey(t: { countryCode: string; vatNumber: string }): string {
  return `${t.countryCode}|${t.vatNumber}`;
}

/** The field naming one reported total in problems: `icp.goods.DE.123456789` (`icp.goods.DE` when the number is missing). */
function totalField(category: IcpCategory, countryCode: string, vatNumber: string): string {
  return `icp.${category}.${countryCode}${vatNumber === '' ? '' : `.${vatNumber}`}`;
}

/**
 * The complete ICP instance for the period. Throws `XbrlValidationError` naming every problem (`lines[i].…` from the
 * domain, `lines` when nothing is left to report, header fields, `obNumber`, `period`). Same input, same bytes.
 */
export function buildIcpInstance(input: IcpInput): string {
  const problems = new Problems();
  const { obNumber, entry } = validateBdInput(input, icpEntryPoint, problems);
  const totals = problems.attempt(() => aggregateIcp(input.lines));
  if (totals !== undefined && totals.length === 0) {
    // A nil return is not offered: the ICP is filed when there is something to report [I].
    problems.add('lines', 'there is nothing to report: every customer total rounds to 0 or there are no lines');
  }
  const fiscalEntityDivision = normalizeFiscalEntityDivision(input.fiscalEntityDivision, problems);
  problems.throwIfAny();
  if (obNumber === undefined || entry === undefined || totals === undefined) throw new Error('unreachable: validated above');

  const dimensional = entry.namespaces['bd-axes'] !== undefined;
  const contexts = bdContexts(entry, obNumber, input.period, input.header);
  const facts: (FactSpec | TupleSpec)[] = headerFacts(input.header, {
    profile: ICP_HEADER,
    contextRef: MAIN_CONTEXT_ID,
    dimensional,
    fiscalEntityDivision,
  });

  if (dimensional) {
    // One context per customer, numbered in (country, VAT number) order; ids are free text and must be NCNames, so the
    // VAT number (which may hold + or *) is not part of the id.
    const customers = [...new Map(totals.map((t) => [customerKey(t), t])).values()].sort((a, b) =>
      customerKey(a) < customerKey(b) ? -1 : customerKey(a) > customerKey(b) ? 1 : 0,
    );
    const ids = new Map<string, string>();
    customers.forEach((c, i) => {
      const id = `ICP${i + 1}_${c.countryCode}`;
      ids.set(customerKey(c), id);
      contexts.push({
        ...contexts[0],
        id,
        typedMembers: [
          { dimension: `bd-axes:${VAT_NUMBER_DIMENSION}`, domain: `bd-domains:${VAT_NUMBER_DOMAIN}`, value: c.vatNumber },
          { dimension: `bd-axes:${COUNTRY_DIMENSION}`, domain: `bd-domains:${COUNTRY_DOMAIN}`, value: c.countryCode },
        ],
      } satisfies ContextSpec);
    });
    for (const t of totals) {
      facts.push({ name: `bd-i:${NT20_AMOUNT[t.category]}`, contextRef: ids.get(customerKey(t))!, value: String(t.amount), euros: true });
    }
  } else {
    for (const t of totals) {
      const spec = TUPLES[t.category];
      facts.push({
        tuple: `bd-t:${spec.tuple}`,
        facts: [
          { name: `bd-i:${COUNTRY_CONCEPT}`, contextRef: MAIN_CONTEXT_ID, value: t.countryCode },
          { name: `bd-i:${spec.amount}`, contextRef: MAIN_CONTEXT_ID, value: String(t.amount), euros: true },
          { name: `bd-i:${VAT_NUMBER_CONCEPT}`, contextRef: MAIN_CONTEXT_ID, value: t.vatNumber },
        ],
      });
    }
  }
  return renderInstance(entry, contexts, facts);
}

export interface ReadIcpResult {
  /** Per (category, country, VAT number), sorted as `aggregateIcp` sorts. */
  totals: IcpTotal[];
  header: Partial<XbrlHeader>;
  warnings: string[];
  fiscalEntityDivision?: string;
}

/** The customer of an NT20 customer context, or undefined when the context is not one. */
function customerOfContext(context: XbrlContext, entry: TaxonomyEntry): { countryCode: string; vatNumber: string } | undefined {
  const axes = entry.namespaces['bd-axes'];
  const domains = entry.namespaces['bd-domains'];
  if (axes === undefined || context.otherDimensionalContent || context.typedMembers.length !== 2) return undefined;
  const member = (dimension: string, domain: string) =>
    context.typedMembers.find(
      (m) =>
        m.dimension.namespace === axes &&
        m.dimension.localName === dimension &&
        m.domain.namespace === domains &&
        m.domain.localName === domain,
    );
  const vat = member(VAT_NUMBER_DIMENSION, VAT_NUMBER_DOMAIN);
  const country = member(COUNTRY_DIMENSION, COUNTRY_DOMAIN);
  return vat && country ? { countryCode: country.value, vatNumber: vat.value } : undefined;
}

/** Validates a customer as read: an EU prefix other than NL, the VAT number without its prefix; problems named. */
function checkCustomer(
  category: IcpCategory,
  countryCode: string,
  vatNumber: string,
  problems: Problems,
): { countryCode: IcpTotal['countryCode']; vatNumber: string } | undefined {
  const field = totalField(category, countryCode.slice(0, 4), vatNumber.slice(0, 20));
  const normalized = problems.attempt(() => normalizeIcpCustomer(countryCode, vatNumber, field));
  if (!normalized) return undefined;
  if (normalized.countryCode !== countryCode || normalized.vatNumber !== vatNumber) {
    problems.add(field, `${field}: write the country code in capitals and the VAT number without country prefix, spaces or dots`);
    return undefined;
  }
  if (normalized.countryCode === 'XI' && category === 'services') {
    problems.add(field, `${field}: services to Northern Ireland (XI) are not intra-Community services`);
    return undefined;
  }
  return normalized;
}

function readTupleValue(facts: XbrlFact[], namespace: string, concept: string): XbrlFact | undefined {
  const found = facts.filter((f) => f.namespace === namespace && f.localName === concept);
  return found.length === 1 ? found[0] : undefined;
}

/**
 * Reads and checks a ready ICP instance against the expected declarant OB number and period. Every context must carry
 * the declarant's OB number (field `obNumber`) and the period (field `period`); each customer total must be whole
 * euros with `decimals="INF"` and the EUR unit, and appear once per category (field `icp.<category>.<CC>.<number>`).
 * Throws `XbrlValidationError`.
 */
export function readIcpInstance(xml: string, expected: { obNumber: string; period: TaxPeriod }): ReadIcpResult {
  const obNumber = normalizeObNumber(expected.obNumber);
  const entry = icpEntryPoint(expected.period.year);
  const { instance, problems, warnings, mainContextId, header } = openBdInstance(xml, {
    header: ICP_HEADER,
    entry,
    obNumber,
    period: expected.period,
    otherContext: (context) => customerOfContext(context, entry) !== undefined,
  });
  const consumed = new Set(header.consumed);
  const totals = entry.namespaces['bd-axes'] !== undefined
    ? readDimensional(instance, entry, mainContextId, problems, consumed)
    : readTuples(instance, entry, mainContextId, problems, consumed);

  const seen = new Set<string>();
  for (const t of totals) {
    const key = `${t.category}|${customerKey(t)}`;
    if (seen.has(key)) {
      problems.add(totalField(t.category, t.countryCode, t.vatNumber), 'this customer appears more than once in this category');
    }
    seen.add(key);
  }
  if (totals.length === 0 && problems.count === 0) warnings.push('the ICP instance reports no customer at all');
  reportUnexpectedFacts(instance, consumed, problems);
  problems.throwIfAny();
  const order = (c: IcpCategory) => ICP_CATEGORIES.indexOf(c);
  const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  totals.sort(
    (a, b) => order(a.category) - order(b.category) || compare(a.countryCode, b.countryCode) || compare(a.vatNumber, b.vatNumber),
  );
  return {
    totals,
    header: header.header,
    warnings,
    ...(header.fiscalEntityDivision !== undefined ? { fiscalEntityDivision: header.fiscalEntityDivision } : {}),
  };
}

function readDimensional(
  instance: XbrlInstance,
  entry: TaxonomyEntry,
  mainContextId: string | undefined,
  problems: Problems,
  consumed: Set<XbrlFact>,
): IcpTotal[] {
  const bd = entry.namespaces['bd-i'];
  const totals: IcpTotal[] = [];
  for (const category of ICP_CATEGORIES) {
    for (const fact of factsNamed(instance, bd, NT20_AMOUNT[category])) {
      if (fact.tuple) continue;
      consumed.add(fact);
      const context = fact.contextRef === undefined ? undefined : instance.contexts.get(fact.contextRef);
      const customer = context ? customerOfContext(context, entry) : undefined;
      if (!customer) {
        const where = fact.contextRef === mainContextId ? 'the main context' : `context ${String(fact.contextRef).slice(0, 40)}`;
        problems.add(
          `icp.${category}`,
          `${fact.localName} in ${where}: an ICP amount must be in a customer context (VAT number and country)`,
        );
        continue;
      }
      const checked = checkCustomer(category, customer.countryCode, customer.vatNumber, problems);
      const amount = readWholeEuros(instance, fact, totalField(category, customer.countryCode, customer.vatNumber), problems);
      if (checked && amount !== undefined) totals.push({ category, ...checked, amount });
    }
  }
  return totals;
}

function readTuples(
  instance: XbrlInstance,
  entry: TaxonomyEntry,
  mainContextId: string | undefined,
  problems: Problems,
  consumed: Set<XbrlFact>,
): IcpTotal[] {
  const bd = entry.namespaces['bd-i'];
  const bdt = entry.namespaces['bd-t'];
  const totals: IcpTotal[] = [];
  for (const tuple of instance.tuples) {
    const category = ICP_CATEGORIES.find((c) => tuple.namespace === bdt && tuple.localName === TUPLES[c].tuple);
    if (category === undefined) continue; // its facts stay unconsumed and are reported as unexpected
    const spec = TUPLES[category];
    const country = readTupleValue(tuple.facts, bd, COUNTRY_CONCEPT);
    const vatNumber = readTupleValue(tuple.facts, bd, VAT_NUMBER_CONCEPT);
    const amountFact = readTupleValue(tuple.facts, bd, spec.amount);
    const field = totalField(category, country?.value.slice(0, 4) ?? '', vatNumber?.value.slice(0, 20) ?? '');
    if (!country || !vatNumber || !amountFact || tuple.facts.length !== 3) {
      problems.add(field, `${tuple.qname} must hold exactly one ${COUNTRY_CONCEPT}, one ${spec.amount} and one ${VAT_NUMBER_CONCEPT}`);
      tuple.facts.forEach((f) => consumed.add(f));
      continue;
    }
    tuple.facts.forEach((f) => consumed.add(f));
    if (tuple.facts.some((f) => f.contextRef !== mainContextId)) {
      problems.add(field, `${tuple.qname}: every fact must be in the main context`);
    }
    const checked = checkCustomer(category, country.value, vatNumber.value, problems);
    const amount = readWholeEuros(instance, amountFact, field, problems);
    if (checked && amount !== undefined) totals.push({ category, ...checked, amount });
  }
  return totals;
}
