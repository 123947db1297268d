import { childElements, collapsed, parseXmlDocument, textOf } from '../integrations/xml/safe-xml';

/** The root of a provisional-format payload (mandates, VIA) and its single child elements' text. */
export interface ProvisionalPayload {
  root: Element;
  /** The collapsed text of the one child element with this name, or undefined when it is absent or repeated. */
  text(name: string): string | undefined;
}

/**
 * Reads a payload of one of the simulator's provisional formats: well-formed XML (at most 64 KiB) whose root is
 * `localName` in `namespace`; otherwise the refusal texts the register answers with.
 */
export function readProvisionalPayload(payload: Buffer, namespace: string, localName: string): ProvisionalPayload | string[] {
  let root: Element;
  try {
    root = parseXmlDocument(payload.toString('utf8'), 64 * 1024).documentElement;
  } catch (err) {
    return [`Het bericht is geen goedgevormde XML: ${(err as Error).message}`];
  }
  if (root.namespaceURI !== namespace || root.localName !== localName) return [`Het bericht is geen ${localName}.`];
  return {
    root,
    text: (name) => {
      const found = childElements(root, namespace, name);
      return found.length === 1 ? collapsed(textOf(found[0])) : undefined;
    },
  };
}
