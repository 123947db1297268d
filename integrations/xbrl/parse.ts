/**
 * Hardened reading of XBRL instances that come from outside (administrations that send a ready instance), shared by
 * the OB, suppletie, ICP and KvK readers.
 *
 * - Before any parser sees the text: size limit and DOCTYPE/ENTITY refusal (`assertSafeXmlText`, engineering.md §2.2
 *   rule 1), and refusal of character/entity references other than the five predefined ones (fast-xml-parser 5.12
 *   leaves `&#233;` undecoded unless HTML entities are switched on, so the text would silently differ from what the
 *   sender meant).
 * - fast-xml-parser with the options of engineering.md §2.2 (attributes kept, no value parsing, prefixes kept,
 *   finite entity limits, 64 levels, reserved names refused) after its well-formedness validator.
 * - Namespace prefixes are resolved to URIs here from the `xmlns` declarations in scope; nothing downstream matches
 *   on a prefix.
 *
 * Every problem found is a `ValidationError` naming the box or field; a reader collects them all and throws one
 * `XbrlValidationError`.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ValidationError } from '../../domain/errors';
import { assertSafeXmlText, UnsafeXmlError } from '../xml/safe-xml';
import { XBRL_NS } from './taxonomy';

/** Largest instance accepted, in characters (20 MiB). */
export const XBRL_MAX_CHARS = 20 * 1024 * 1024;

/** At most this many problems are kept (and listed); a garbage instance must not produce an unbounded report. */
const MAX_ERRORS = 200;
/** At most this many problems are spelled out in the message. */
const MAX_ERRORS_IN_MESSAGE = 20;

/** All problems found in an instance, thrown at once. `field` is the first problem's field. */
export class XbrlValidationError extends ValidationError {
  readonly errors: ValidationError[];
  constructor(errors: ValidationError[]) {
    const list = errors.length > 0 ? errors : [new ValidationError('xbrl', 'the instance was refused')];
    const shown = list.slice(0, MAX_ERRORS_IN_MESSAGE).map((e) => `${e.field}: ${e.message}`);
    const more = list.length > shown.length ? `; … and ${list.length - shown.length} more` : '';
    super(list[0].field, `XBRL instance refused (${list.length} problem${list.length === 1 ? '' : 's'}): ${shown.join('; ')}${more}`);
    this.errors = list;
  }

  /** The fields named by the problems, in order, without repeats. */
  get fields(): string[] {
    return [...new Set(this.errors.map((e) => e.field))];
  }
}

/** Collects problems (bounded) and throws them together. */
export class Problems {
  private readonly list: ValidationError[] = [];
  private dropped = 0;

  add(field: string, message: string): void {
    this.push(new ValidationError(field, message));
  }

  push(error: ValidationError): void {
    if (error instanceof XbrlValidationError) {
      for (const e of error.errors) this.push(e);
      return;
    }
    if (this.list.length < MAX_ERRORS) this.list.push(error);
    else this.dropped++;
  }

  /** Runs `fn`; a `ValidationError` it throws is recorded instead of propagating. */
  attempt<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (error) {
      if (error instanceof ValidationError) {
        this.push(error);
        return undefined;
      }
      throw error;
    }
  }

  /** Whether a problem for this field was recorded. */
  has(field: string): boolean {
    return this.list.some((e) => e.field === field);
  }

  get count(): number {
    return this.list.length + this.dropped;
  }

  throwIfAny(): void {
    if (this.count === 0) return;
    const errors = [...this.list];
    if (this.dropped > 0) errors.push(new ValidationError('xbrl', `${this.dropped} further problems were not listed`));
    throw new XbrlValidationError(errors);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Namespace-resolved element tree
// ---------------------------------------------------------------------------------------------------------------

export interface XmlAttribute {
  /** The attribute name as written (`xlink:href`). */
  qname: string;
  /** Namespace URI; '' for an unprefixed attribute (attributes do not take the default namespace). */
  namespace: string;
  localName: string;
  value: string;
}

export interface XmlElement {
  /** The element name as written (`bd-i:ValueAddedTaxOwed`): for messages only, never for matching. */
  qname: string;
  /** Namespace URI resolved from the declarations in scope; '' when the element is in no namespace. */
  namespace: string;
  localName: string;
  attributes: XmlAttribute[];
  children: XmlElement[];
  /** The element's own text (text and CDATA children joined), as sent. */
  text: string;
  /** prefix → namespace URI in scope at this element ('' = default namespace); for QName-valued content. */
  scope: ReadonlyMap<string, string>;
}

/** `{namespace}localName` */
export interface ExpandedName {
  namespace: string;
  localName: string;
}

const PARSER_OPTIONS = {
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  removeNSPrefix: false,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  trimValues: false,
  processEntities: {
    enabled: true,
    maxEntityCount: 1,
    maxEntitySize: 64,
    maxTotalExpansions: 10_000,
    maxExpandedLength: 1_000_000,
  },
  maxNestedTags: 64,
  strictReservedNames: true,
} as const;

/** A node of fast-xml-parser's `preserveOrder` output: one key (the tag, or `#text`) plus `:@` for attributes. */
type OrderedNode = Record<string, unknown>;

const NAME = /^[A-Za-z_][\w.-]*$/;
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';
/** Any `&` that does not start one of the five predefined entity references. */
const OTHER_REFERENCE = /&(?!(?:lt|gt|amp|quot|apos);)/;

function xmlProblem(message: string): XbrlValidationError {
  return new XbrlValidationError([new ValidationError('xml', message)]);
}

/**
 * Parse untrusted XML into a namespace-resolved tree. Throws `XbrlValidationError` (field `xml`) for anything unsafe
 * or not well-formed: oversize, DOCTYPE/ENTITY, character references, deep nesting, reserved names, undeclared
 * prefixes, duplicate attributes, more than one root element.
 */
export function parseXml(xml: string, maxChars: number = XBRL_MAX_CHARS): XmlElement {
  if (typeof xml !== 'string') throw xmlProblem('the instance must be text');
  try {
    assertSafeXmlText(xml, maxChars);
  } catch (error) {
    if (error instanceof UnsafeXmlError) throw xmlProblem(error.message);
    throw error;
  }
  const text = xml.replace(/^\uFEFF/, '');
  if (OTHER_REFERENCE.test(text)) {
    throw xmlProblem(
      'the XML uses a character or entity reference other than &lt; &gt; &amp; &quot; &apos; (such as &#233;); ' +
        'send the characters themselves, UTF-8 encoded',
    );
  }
  const verdict = XMLValidator.validate(text);
  if (verdict !== true) {
    throw xmlProblem(`the XML is not well-formed: ${verdict.err.msg} (line ${verdict.err.line}, column ${verdict.err.col})`);
  }
  let ordered: OrderedNode[];
  try {
    ordered = new XMLParser(PARSER_OPTIONS).parse(text) as OrderedNode[];
  } catch (error) {
    throw xmlProblem(`the XML was refused by the parser: ${error instanceof Error ? error.message.slice(0, 200) : 'unknown error'}`);
  }
  const roots = ordered.filter((node) => !('#text' in node));
  const strayText = ordered.some((node) => '#text' in node && String(node['#text']).trim() !== '');
  if (roots.length !== 1 || strayText) throw xmlProblem('the XML must have exactly one root element');
  return toElement(roots[0], new Map([['xml', XBRL_NS.xml]]));
}

function splitQName(qname: string): { prefix: string; localName: string } {
  const parts = qname.split(':');
  if (parts.length === 1 && NAME.test(parts[0])) return { prefix: '', localName: parts[0] };
  if (parts.length === 2 && NAME.test(parts[0]) && NAME.test(parts[1])) return { prefix: parts[0], localName: parts[1] };
  throw xmlProblem(`${JSON.stringify(qname.slice(0, 60))} is not a valid namespace-qualified name`);
}

function toElement(node: OrderedNode, parentScope: ReadonlyMap<string, string>): XmlElement {
  const tag = Object.keys(node).find((key) => key !== ':@');
  if (tag === undefined) throw xmlProblem('an element without a name');
  const rawAttributes = (node[':@'] ?? {}) as Record<string, unknown>;

  // Namespace declarations first: they apply to the element's own name and attributes.
  const scope = new Map(parentScope);
  for (const [name, value] of Object.entries(rawAttributes)) {
    const uri = String(value);
    if (name === 'xmlns') {
      scope.set('', uri);
    } else if (name.startsWith('xmlns:')) {
      const prefix = name.slice(6);
      if (!NAME.test(prefix) || uri === '' || prefix === 'xmlns' || (prefix === 'xml') !== (uri === XBRL_NS.xml)) {
        throw xmlProblem(`invalid namespace declaration ${name.slice(0, 60)}="${uri.slice(0, 100)}"`);
      }
      scope.set(prefix, uri);
    }
  }

  const lookup = (prefix: string, what: string): string => {
    const uri = scope.get(prefix);
    if (uri === undefined) throw xmlProblem(`the prefix ${prefix} of ${what} is not declared`);
    return uri;
  };

  const name = splitQName(tag);
  const namespace = name.prefix === '' ? (scope.get('') ?? '') : lookup(name.prefix, tag);

  const attributes: XmlAttribute[] = [];
  const seen = new Set<string>();
  for (const [qname, value] of Object.entries(rawAttributes)) {
    if (qname === 'xmlns' || qname.startsWith('xmlns:')) continue;
    const parts = splitQName(qname);
    const attributeNamespace = parts.prefix === '' ? '' : lookup(parts.prefix, `attribute ${qname}`);
    const key = `{${attributeNamespace}}${parts.localName}`;
    if (seen.has(key) || attributeNamespace === XMLNS_NS) throw xmlProblem(`attribute ${qname} is repeated or reserved`);
    seen.add(key);
    attributes.push({ qname, namespace: attributeNamespace, localName: parts.localName, value: String(value) });
  }

  const children: XmlElement[] = [];
  let text = '';
  for (const child of (node[tag] ?? []) as OrderedNode[]) {
    if ('#text' in child) text += String(child['#text']);
    else children.push(toElement(child, scope));
  }
  return { qname: tag, namespace, localName: name.localName, attributes, children, text, scope };
}

/** The value of an attribute by namespace and local name ('' = unprefixed attribute). */
export function attribute(el: XmlElement, localName: string, namespace = ''): string | undefined {
  return el.attributes.find((a) => a.localName === localName && a.namespace === namespace)?.value;
}

/** Resolves a QName-valued text (`iso4217:EUR`, `bd-axes:VATNumberDimension`) in the element's scope. */
export function resolveQName(el: XmlElement, value: string): ExpandedName | undefined {
  const parts = value.trim().split(':');
  if (parts.length > 2 || parts.some((p) => !NAME.test(p))) return undefined;
  const [prefix, localName] = parts.length === 2 ? parts : ['', parts[0]];
  const namespace = el.scope.get(prefix);
  if (namespace === undefined && prefix !== '') return undefined;
  return { namespace: namespace ?? '', localName };
}

export function isNamed(el: XmlElement, namespace: string, localName: string): boolean {
  return el.namespace === namespace && el.localName === localName;
}

function childrenNamed(el: XmlElement, namespace: string, localName: string): XmlElement[] {
  return el.children.filter((c) => isNamed(c, namespace, localName));
}

// ---------------------------------------------------------------------------------------------------------------
// XBRL instance model
// ---------------------------------------------------------------------------------------------------------------

export interface TypedMember {
  dimension: ExpandedName;
  domain: ExpandedName;
  /** Trimmed text of the typed-domain element. */
  value: string;
}

export interface XbrlContext {
  id: string;
  scheme: string;
  identifier: string;
  startDate?: string;
  endDate?: string;
  instant?: string;
  forever: boolean;
  /** Typed members of the scenario (NT20 style). */
  typedMembers: TypedMember[];
  /** Anything else in a segment or scenario (explicit members, other content): readers here expect none. */
  otherDimensionalContent: boolean;
}

export interface XbrlUnit {
  id: string;
  /** The measures of a simple unit; empty for a divide unit. */
  measures: ExpandedName[];
  divide: boolean;
}

export interface XbrlFact {
  namespace: string;
  localName: string;
  /** As written, for messages. */
  qname: string;
  contextRef?: string;
  unitRef?: string;
  decimals?: string;
  precision?: string;
  nil: boolean;
  /** Trimmed text content. */
  value: string;
  /** The enclosing tuple, when the fact sits in one (≤ NT19 style). */
  tuple?: XbrlTuple;
  /** Whether the element had child elements where a value was expected. */
  hasChildElements: boolean;
}

export interface XbrlTuple {
  namespace: string;
  localName: string;
  qname: string;
  facts: XbrlFact[];
}

export interface XbrlInstance {
  root: XmlElement;
  /** `xml:lang` of the root element. */
  lang?: string;
  schemaRefs: string[];
  contexts: Map<string, XbrlContext>;
  units: Map<string, XbrlUnit>;
  /** Every item fact, including those inside tuples (see `tuple`). */
  facts: XbrlFact[];
  tuples: XbrlTuple[];
}

const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

/**
 * Reads the generic XBRL structure. Structural problems are recorded in `problems` (fields `xbrl`, `context`,
 * `unit`); returns undefined when the root is not `{http://www.xbrl.org/2003/instance}xbrl`.
 */
export function readXbrlInstance(root: XmlElement, problems: Problems): XbrlInstance | undefined {
  if (!isNamed(root, XBRL_NS.xbrli, 'xbrl')) {
    problems.add('xbrl', `the root element must be {${XBRL_NS.xbrli}}xbrl, found {${root.namespace}}${root.localName}`);
    return undefined;
  }
  const instance: XbrlInstance = {
    root,
    lang: attribute(root, 'lang', XBRL_NS.xml),
    schemaRefs: [],
    contexts: new Map(),
    units: new Map(),
    facts: [],
    tuples: [],
  };
  for (const child of root.children) {
    if (isNamed(child, XBRL_NS.link, 'schemaRef')) {
      instance.schemaRefs.push((attribute(child, 'href', XBRL_NS.xlink) ?? '').trim());
    } else if (isNamed(child, XBRL_NS.xbrli, 'context')) {
      const context = readContext(child, problems);
      if (!context) continue;
      if (instance.contexts.has(context.id)) problems.add('context', `context id ${context.id} is used twice`);
      else instance.contexts.set(context.id, context);
    } else if (isNamed(child, XBRL_NS.xbrli, 'unit')) {
      const unit = readUnit(child, problems);
      if (!unit) continue;
      if (instance.units.has(unit.id)) problems.add('unit', `unit id ${unit.id} is used twice`);
      else instance.units.set(unit.id, unit);
    } else if (child.namespace === XBRL_NS.xbrli || child.namespace === XBRL_NS.link) {
      problems.add('xbrl', `unexpected element ${child.qname} (footnotes, role references and the like are not expected here)`);
    } else if (child.children.length > 0 && attribute(child, 'contextRef') === undefined) {
      const tuple: XbrlTuple = { namespace: child.namespace, localName: child.localName, qname: child.qname, facts: [] };
      for (const member of child.children) {
        const fact = readFact(member);
        fact.tuple = tuple;
        if (member.children.length > 0) problems.add(member.localName, `nested tuple ${member.qname} is not expected`);
        tuple.facts.push(fact);
        instance.facts.push(fact);
      }
      instance.tuples.push(tuple);
    } else {
      instance.facts.push(readFact(child));
    }
  }
  for (const fact of instance.facts) {
    if (fact.contextRef === undefined) {
      problems.add(fact.localName, `${fact.qname} has no contextRef`);
    } else if (!instance.contexts.has(fact.contextRef)) {
      problems.add(fact.localName, `${fact.qname} refers to context ${fact.contextRef.slice(0, 60)}, which does not exist`);
    }
    if (fact.unitRef !== undefined && !instance.units.has(fact.unitRef)) {
      problems.add(fact.localName, `${fact.qname} refers to unit ${fact.unitRef.slice(0, 60)}, which does not exist`);
    }
    if (fact.hasChildElements && !fact.tuple) problems.add(fact.localName, `${fact.qname} must contain text only`);
  }
  return instance;
}

function readFact(el: XmlElement): XbrlFact {
  const nil = attribute(el, 'nil', XSI_NS);
  return {
    namespace: el.namespace,
    localName: el.localName,
    qname: el.qname,
    contextRef: attribute(el, 'contextRef'),
    unitRef: attribute(el, 'unitRef'),
    decimals: attribute(el, 'decimals')?.trim(),
    precision: attribute(el, 'precision')?.trim(),
    nil: nil !== undefined && ['true', '1'].includes(nil.trim()),
    value: el.text.trim(),
    hasChildElements: el.children.length > 0,
  };
}

function onlyText(parent: XmlElement, namespace: string, localName: string): string | undefined {
  const found = childrenNamed(parent, namespace, localName);
  return found.length === 1 ? found[0].text.trim() : undefined;
}

function readContext(el: XmlElement, problems: Problems): XbrlContext | undefined {
  const id = attribute(el, 'id')?.trim();
  if (!id) {
    problems.add('context', 'a context has no id');
    return undefined;
  }
  const entity = childrenNamed(el, XBRL_NS.xbrli, 'entity');
  const identifiers = entity.length === 1 ? childrenNamed(entity[0], XBRL_NS.xbrli, 'identifier') : [];
  const periods = childrenNamed(el, XBRL_NS.xbrli, 'period');
  if (entity.length !== 1 || identifiers.length !== 1 || periods.length !== 1) {
    problems.add('context', `context ${id} must have exactly one entity identifier and one period`);
    return undefined;
  }
  const period = periods[0];
  const context: XbrlContext = {
    id,
    scheme: (attribute(identifiers[0], 'scheme') ?? '').trim(),
    identifier: identifiers[0].text.trim(),
    startDate: onlyText(period, XBRL_NS.xbrli, 'startDate'),
    endDate: onlyText(period, XBRL_NS.xbrli, 'endDate'),
    instant: onlyText(period, XBRL_NS.xbrli, 'instant'),
    forever: childrenNamed(period, XBRL_NS.xbrli, 'forever').length > 0,
    typedMembers: [],
    otherDimensionalContent: childrenNamed(entity[0], XBRL_NS.xbrli, 'segment').length > 0,
  };
  const scenarios = childrenNamed(el, XBRL_NS.xbrli, 'scenario');
  if (scenarios.length > 1) context.otherDimensionalContent = true;
  for (const member of scenarios[0]?.children ?? []) {
    const dimension = isNamed(member, XBRL_NS.xbrldi, 'typedMember') ? attribute(member, 'dimension') : undefined;
    const resolved = dimension === undefined ? undefined : resolveQName(member, dimension);
    if (!resolved || member.children.length !== 1) {
      context.otherDimensionalContent = true;
      continue;
    }
    const domain = member.children[0];
    context.typedMembers.push({
      dimension: resolved,
      domain: { namespace: domain.namespace, localName: domain.localName },
      value: domain.text.trim(),
    });
  }
  return context;
}

function readUnit(el: XmlElement, problems: Problems): XbrlUnit | undefined {
  const id = attribute(el, 'id')?.trim();
  if (!id) {
    problems.add('unit', 'a unit has no id');
    return undefined;
  }
  const measures: ExpandedName[] = [];
  for (const measure of childrenNamed(el, XBRL_NS.xbrli, 'measure')) {
    const resolved = resolveQName(measure, measure.text);
    if (resolved) measures.push(resolved);
    else problems.add('unit', `unit ${id} has a measure that is not a valid QName`);
  }
  return { id, measures, divide: childrenNamed(el, XBRL_NS.xbrli, 'divide').length > 0 };
}

/** Whether the unit is exactly one measure `{iso4217}EUR`. */
export function isEuroUnit(unit: XbrlUnit | undefined): boolean {
  return (
    unit !== undefined &&
    !unit.divide &&
    unit.measures.length === 1 &&
    unit.measures[0].namespace === XBRL_NS.iso4217 &&
    unit.measures[0].localName === 'EUR'
  );
}

/** Items (not tuples) with this name. */
export function factsNamed(instance: XbrlInstance, namespace: string, localName: string): XbrlFact[] {
  return instance.facts.filter((f) => f.namespace === namespace && f.localName === localName);
}

/** Checks that the instance refers to exactly one schema, this entry point (field `schemaRef`). */
export function checkSchemaRef(instance: XbrlInstance, entryPoint: string, problems: Problems): void {
  if (instance.schemaRefs.length !== 1) {
    problems.add('schemaRef', `the instance must have exactly one schemaRef (${entryPoint}), found ${instance.schemaRefs.length}`);
  } else if (instance.schemaRefs[0] !== entryPoint) {
    problems.add(
      'schemaRef',
      `the schemaRef is ${instance.schemaRefs[0].slice(0, 200)} but this period needs the entry point ${entryPoint}`,
    );
  }
}

/**
 * Checks every context's entity (scheme and identifier, field `identifierField`) and duration period (field `period`).
 * `allowPeriod` decides which periods are acceptable beyond the expected duration.
 */
export function checkContexts(
  instance: XbrlInstance,
  expected: { scheme: string; identifier: string; identifierField: string; startDate: string; endDate: string },
  problems: Problems,
  allowPeriod: (context: XbrlContext) => boolean = () => false,
): void {
  if (instance.contexts.size === 0) problems.add('context', 'the instance has no context');
  for (const context of instance.contexts.values()) {
    if (context.scheme !== expected.scheme) {
      problems.add(
        expected.identifierField,
        `context ${context.id}: the identifier scheme is ${JSON.stringify(context.scheme.slice(0, 80))}, expected ${expected.scheme}`,
      );
    }
    if (context.identifier !== expected.identifier) {
      problems.add(
        expected.identifierField,
        `context ${context.id}: the entity identifier is ${JSON.stringify(context.identifier.slice(0, 40))}, ` +
          `expected ${expected.identifier}`,
      );
    }
    const matches = context.startDate === expected.startDate && context.endDate === expected.endDate && !context.instant;
    if (!matches && !allowPeriod(context)) {
      const found = context.instant
        ? `the instant ${context.instant.slice(0, 20)}`
        : `${String(context.startDate).slice(0, 20)} .. ${String(context.endDate).slice(0, 20)}`;
      problems.add('period', `context ${context.id}: the period is ${found}, expected ${expected.startDate} .. ${expected.endDate}`);
    }
  }
}

const INTEGER = /^-?\d{1,16}$/;

/**
 * Reads a monetary fact in whole euros: `decimals="INF"`, a unit of exactly `iso4217:EUR`, integer content (a sign
 * allowed), not nil. Records problems under `field`; returns undefined when the value cannot be used.
 */
export function readWholeEuros(instance: XbrlInstance, fact: XbrlFact, field: string, problems: Problems): number | undefined {
  if (fact.decimals !== 'INF') {
    const found = fact.decimals === undefined ? 'none' : `"${fact.decimals.slice(0, 10)}"`;
    problems.add(field, `${field} (${fact.localName}) must have decimals="INF", found ${found}`);
  }
  if (fact.precision !== undefined) {
    problems.add(field, `${field} (${fact.localName}) must not have a precision attribute`);
  }
  if (fact.unitRef === undefined || !isEuroUnit(instance.units.get(fact.unitRef))) {
    problems.add(field, `${field} (${fact.localName}) must refer to a unit of exactly iso4217:EUR`);
  }
  if (fact.nil) {
    problems.add(field, `${field} (${fact.localName}) must not be nil; write 0 for an empty box`);
    return undefined;
  }
  const value = INTEGER.test(fact.value) ? Number(fact.value) : Number.NaN;
  if (!Number.isSafeInteger(value)) {
    problems.add(field, `${field} (${fact.localName}) must be whole euros (an integer), found ${JSON.stringify(fact.value.slice(0, 30))}`);
    return undefined;
  }
  // The value is returned even when an attribute is wrong (already recorded), so the arithmetic checks still run on it.
  return value + 0; // + 0 turns −0 into 0
}
