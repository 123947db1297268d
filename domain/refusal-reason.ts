/**
 * H3: what the receiving party said when it refused a filing (90): the description in its Responsemessage (the
 * status details, e.g. KvK's "Het boekjaar 2025 is al gedeponeerd."), else Digipoort's fault text. Pure.
 */
export interface RefusingStatus {
  /** statusdetails as received (XML text), if any. */
  details?: string | null;
  foutbeschrijving?: string | null;
}

/** The refusal text of the latest status that carries one; undefined when none does. */
export function refusalReasonOf(statuses: readonly RefusingStatus[]): string | undefined {
  for (const s of [...statuses].reverse()) {
    const description = s.details?.match(/<Description>([^<]{1,300})<\/Description>/)?.[1]?.trim();
    if (description) return description;
    if (s.foutbeschrijving) return s.foutbeschrijving;
  }
  return undefined;
}
