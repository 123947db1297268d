/** Splits a PEM bundle (certificates, CRLs) into its blocks. */
export function pemBlocks(text: string): string[] {
  return text.match(/-----BEGIN [^-]+-----[\s\S]+?-----END [^-]+-----/g) ?? [];
}
