import { DOMParser } from '@xmldom/xmldom';

/**
 * Safe parsing of untrusted XML (Digipoort responses, requests at the simulator, XBRL from administrations).
 * A DOCTYPE or ENTITY declaration is refused before any parser sees the text (SOAP forbids a DTD; DTDs are the
 * entity-bomb and XXE vector), size is bounded, and every parser error is fatal.
 */
export class UnsafeXmlError extends Error {
  override readonly name = 'UnsafeXmlError';
}

/** Refuses DTDs and oversized input; accepts a UTF-8 BOM. */
export function assertSafeXmlText(xml: string, maxChars: number): void {
  if (xml.length > maxChars) throw new UnsafeXmlError(`XML is larger than the limit of ${maxChars} characters`);
  if (/<!DOCTYPE/i.test(xml) || /<!ENTITY/i.test(xml)) {
    throw new UnsafeXmlError('XML with a DOCTYPE or ENTITY declaration is refused');
  }
}

/** Parses into a namespace-aware DOM; any warning, error or fatal error of the parser rejects the document. */
export function parseXmlDocument(xml: string, maxChars: number): Document {
  assertSafeXmlText(xml, maxChars);
  const problems: string[] = [];
  const record = (msg: unknown) => {
    problems.push(String(msg));
  };
  const doc = new DOMParser({ errorHandler: { warning: record, error: record, fatalError: record } }).parseFromString(
    xml.replace(/^\uFEFF/, ''),
    'text/xml',
  ) as unknown as Document;
  if (problems.length > 0) throw new UnsafeXmlError(`XML is not well-formed: ${problems[0].split('\n')[0]}`);
  if (!doc?.documentElement) throw new UnsafeXmlError('XML has no document element');
  assertMaxDepth(doc.documentElement, 64);
  return doc;
}

function assertMaxDepth(root: Element, maxDepth: number): void {
  const stack: [Element, number][] = [[root, 1]];
  while (stack.length) {
    const [el, depth] = stack.pop()!;
    if (depth > maxDepth) throw new UnsafeXmlError(`XML is nested deeper than ${maxDepth} levels`);
    for (const child of childElements(el)) stack.push([child, depth + 1]);
  }
}

export function childElements(parent: Node, namespace?: string, localName?: string): Element[] {
  const result: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    if (n.nodeType !== 1) continue;
    const el = n as Element;
    if (namespace !== undefined && el.namespaceURI !== namespace) continue;
    if (localName !== undefined && el.localName !== localName) continue;
    result.push(el);
  }
  return result;
}

/** The single child with this name; throws when it is missing or repeated. */
export function onlyChild(parent: Node, namespace: string, localName: string): Element {
  const found = childElements(parent, namespace, localName);
  if (found.length !== 1) {
    throw new UnsafeXmlError(`expected exactly one ${localName}, found ${found.length}`);
  }
  return found[0];
}

export function optionalChild(parent: Node, namespace: string, localName: string): Element | undefined {
  const found = childElements(parent, namespace, localName);
  if (found.length > 1) throw new UnsafeXmlError(`expected at most one ${localName}, found ${found.length}`);
  return found[0];
}

/** Text content of an element with only text children (comments are ignored, nested elements refused). */
export function textOf(el: Element): string {
  let text = '';
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 3 || n.nodeType === 4) text += n.nodeValue ?? '';
    else if (n.nodeType === 1) throw new UnsafeXmlError(`${el.localName} must contain text only`);
  }
  return text;
}

/** Collapses whitespace as the XSD's normalizedString with whiteSpace=collapse does. */
export function collapsed(text: string): string {
  return text.replace(/[\t\n\r ]+/g, ' ').trim();
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** Every element of the document in document order. */
export function allElements(root: Element): Element[] {
  const result: Element[] = [];
  const walk = (el: Element) => {
    result.push(el);
    for (const child of childElements(el)) walk(child);
  };
  walk(root);
  return result;
}
