import { X509Certificate } from 'node:crypto';
import { pemBlocks } from './pem';
import { CertificateError, type OpenedCertificate } from './pkcs12';

/**
 * Whether an uploaded certificate comes from a CA Digipoort trusts: its chain must lead, signature by signature, to one
 * of the configured PKIoverheid roots (PKIOVERHEID_ROOTS_FILE; the test roots with the simulator). The intermediates
 * come from the PKCS#12 file itself or from the configured file. Validity dates are not judged here (C7 does that
 * when a certificate is used) and neither is revocation (the TLS layer checks CRLs when it connects).
 */
export class TrustRoots {
  private constructor(private readonly anchors: readonly X509Certificate[]) {}

  /** The roots (and any intermediates) of a PEM bundle; an empty bundle is refused: it would trust nothing. */
  static fromPem(pem: string): TrustRoots {
    const anchors = pemBlocks(pem)
      .filter((block) => block.startsWith('-----BEGIN CERTIFICATE-----'))
      .map((block) => new X509Certificate(block))
      .filter((certificate) => certificate.ca);
    if (anchors.length === 0) throw new Error('the PKIoverheid roots file holds no CA certificate');
    return new TrustRoots(anchors);
  }

  /** Throws CertificateError UNTRUSTED_CHAIN when the leaf does not chain to a configured root. */
  assertTrusted(opened: Pick<OpenedCertificate, 'certificate' | 'chain'>): void {
    const issuedBy = (child: X509Certificate, parent: X509Certificate) => parent.ca && child.checkIssued(parent) && child.verify(parent.publicKey);
    const intermediates = [...opened.chain, ...this.anchors];
    const used = new Set<string>();
    let current = opened.certificate;
    // PKIoverheid chains are three or four deep; a bound keeps a looping bundle from running on.
    for (let depth = 0; depth < 8; depth++) {
      if (this.anchors.some((anchor) => issuedBy(current, anchor))) return;
      const issuer = intermediates.find((candidate) => !used.has(candidate.fingerprint256) && issuedBy(current, candidate));
      if (!issuer) break;
      used.add(issuer.fingerprint256);
      current = issuer;
    }
    const leaf = opened.certificate.subject.split('\n').join(', ');
    const top = current.issuer.split('\n').join(', ');
    throw new CertificateError(
      'UNTRUSTED_CHAIN',
      `the certificate "${leaf}" does not chain to a configured PKIoverheid root (its chain ends at "${top}"): Digipoort would not trust it; upload the PKIoverheid certificate with its chain`,
    );
  }
}
