/** Messages of the koppelvlak (XSD `koppelvlakservices/1.2`); identifiers are always strings. */
export interface Identiteit {
  nummer: string;
  type: string;
}

export interface BerichtInhoud {
  mimeType: string;
  bestandsnaam: string;
  /** The decoded octets; base64 on the wire. */
  inhoud: Buffer;
}

export interface AanleverRequest {
  berichtsoort: string;
  aanleverkenmerk?: string;
  eerderAanleverkenmerk?: string;
  identiteitBelanghebbende: Identiteit;
  rolBelanghebbende: string;
  berichtInhoud: BerichtInhoud;
  berichtBijlagen?: BerichtInhoud[];
  autorisatieAdres?: string;
}

export interface AanleverResponse {
  kenmerk: string;
  berichtsoort: string;
  aanleverkenmerk?: string;
  eerderAanleverkenmerk?: string;
  /** The legal moment of receipt. */
  tijdstempelAangeleverd: string;
  identiteitBelanghebbende: Identiteit;
  rolBelanghebbende: string;
  identiteitOntvanger?: Identiteit;
  rolOntvanger?: string;
  autorisatieAdres?: string;
  statuscode?: string;
  tijdstempelStatus?: string;
  statusomschrijving?: string;
  statusFoutcode?: Fout;
  statusdetails?: string;
}

export interface Fout {
  foutcode: string;
  foutbeschrijving: string;
}

export interface StatusRequest {
  kenmerk: string;
  autorisatieAdres?: string;
  tijdstempelVanaf?: string;
  tijdstempelTot?: string;
}

export interface StatusResultaat {
  kenmerk: string;
  identiteitBelanghebbende: Identiteit;
  statuscode: string;
  tijdstempelStatus: string;
  statusomschrijving: string;
  statusFoutcode?: Fout;
  statusdetails?: string;
}

export interface ProcessenRequest {
  berichtsoort: string;
  identiteitBelanghebbende: Identiteit;
  autorisatieAdres?: string;
}

export interface ProcesResultaat {
  kenmerk: string;
  berichtsoort: string;
  identiteitBelanghebbende: Identiteit;
  identiteitOntvanger?: Identiteit;
}

export interface BerichtsoortenRequest {
  identiteitBelanghebbende: Identiteit;
  autorisatieAdres?: string;
}
