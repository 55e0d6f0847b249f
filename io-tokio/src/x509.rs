//! Just enough X.509 DER reading to name a client certificate's owner the
//! way Go's `crypto/x509` does for `verify_and_map`: the email, DNS and URI
//! subject alternative names, the subject printed as Go's
//! `pkix.Name.ToRDNSequence().String()`, the domain components (Go's
//! `getTLSAuthDCs`), and the SHA-256 of the SubjectPublicKeyInfo for
//! `pinned_certs`. The certificate was already verified by rustls; a
//! certificate this reader cannot follow yields no identities (`None`).

use rnatsd_core::server::PeerCert;

const TAG_SEQUENCE: u8 = 0x30;
const TAG_SET: u8 = 0x31;
const TAG_OID: u8 = 0x06;
const TAG_OCTET_STRING: u8 = 0x04;
const TAG_VERSION: u8 = 0xa0;
const TAG_EXTENSIONS: u8 = 0xa3;
/// GeneralName choices (implicit, primitive).
const GN_RFC822: u8 = 0x81;
const GN_DNS: u8 = 0x82;
const GN_URI: u8 = 0x86;

/// 2.5.29.17 subjectAltName.
const OID_SAN: &[u8] = &[0x55, 0x1d, 0x11];
/// 0.9.2342.19200300.100.1.25 domainComponent.
const OID_DC: &[u8] = &[0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19];

/// One DER element: tag, content, and the whole encoding.
struct Tlv<'a> {
    tag: u8,
    content: &'a [u8],
    raw: &'a [u8],
}

/// Reads one element off the front of `data`; returns it and the rest.
fn read(data: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let tag = *data.first()?;
    let first = *data.get(1)?;
    let (len, hdr) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | usize::from(*data.get(2 + i)?);
        }
        (len, 2 + n)
    };
    let end = hdr.checked_add(len)?;
    if end > data.len() {
        return None;
    }
    Some((Tlv { tag, content: &data[hdr..end], raw: &data[..end] }, &data[end..]))
}

/// Every element inside a constructed element's content.
fn children(mut data: &[u8]) -> Option<Vec<Tlv<'_>>> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let (t, rest) = read(data)?;
        out.push(t);
        data = rest;
    }
    Some(out)
}

/// A directory string as Go's asn1 decodes into a Go string; None for
/// types Go does not turn into a string.
fn decode_string(t: &Tlv<'_>) -> Option<String> {
    match t.tag {
        // UTF8String, PrintableString, T61String, IA5String, NumericString.
        0x0c | 0x13 | 0x14 | 0x16 | 0x12 => Some(String::from_utf8_lossy(t.content).into_owned()),
        // BMPString: UTF-16BE.
        0x1e => {
            let units: Vec<u16> = t.content.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
            Some(String::from_utf16_lossy(&units))
        }
        _ => None,
    }
}

/// The fields of Go's `pkix.Name` that `ToRDNSequence` prints, in its
/// order, keyed by the last arc of `2.5.4.x`.
const NAME_FIELDS: &[(u8, &str)] = &[
    (6, "C"),
    (8, "ST"),
    (7, "L"),
    (9, "STREET"),
    (17, "POSTALCODE"),
    (10, "O"),
    (11, "OU"),
    (3, "CN"),
    (5, "SERIALNUMBER"),
];

/// Go's `pkix.Name.FillFromRDNSequence` then `ToRDNSequence().String()`,
/// and `getTLSAuthDCs`.
fn subject_strings(name: &[u8]) -> Option<(String, String)> {
    let mut values: Vec<(u8, Vec<String>)> = NAME_FIELDS.iter().map(|(k, _)| (*k, Vec::new())).collect();
    let mut dcs = Vec::new();
    for rdn in children(name)? {
        if rdn.tag != TAG_SET {
            return None;
        }
        for atv in children(rdn.content)? {
            let parts = children(atv.content)?;
            let (Some(oid), Some(value)) = (parts.first(), parts.get(1)) else { return None };
            if oid.tag != TAG_OID {
                return None;
            }
            let Some(s) = decode_string(value) else { continue };
            if oid.content == OID_DC {
                dcs.push(format!("DC={s}"));
            }
            if let [0x55, 0x04, arc] = oid.content {
                if let Some((_, list)) = values.iter_mut().find(|(k, _)| k == arc) {
                    // CN and SERIALNUMBER keep one value (the last), as Go.
                    if *arc == 3 || *arc == 5 {
                        list.clear();
                    }
                    list.push(s);
                }
            }
        }
    }
    let mut rdns: Vec<String> = Vec::new();
    for ((_, name), (_, list)) in NAME_FIELDS.iter().zip(&values) {
        if list.is_empty() {
            continue;
        }
        let rdn: Vec<String> = list.iter().map(|v| format!("{name}={}", escape_value(v))).collect();
        rdns.push(rdn.join("+"));
    }
    rdns.reverse();
    Some((rdns.join(","), dcs.join(",")))
}

/// Go's RDNSequence.String() escaping.
fn escape_value(v: &str) -> String {
    let count = v.chars().count();
    let mut out = String::with_capacity(v.len());
    for (k, c) in v.chars().enumerate() {
        let escape = match c {
            ',' | '+' | '"' | '\\' | '<' | '>' | ';' => true,
            ' ' => k == 0 || k + 1 == count,
            '#' => k == 0,
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The identities of a DER certificate; None if it cannot be read.
pub(crate) fn peer_cert(der: &[u8]) -> Option<PeerCert> {
    let (cert, _) = read(der)?;
    let (tbs, _) = read(cert.content)?;
    let mut fields = children(tbs.content)?.into_iter().peekable();
    if fields.peek().is_some_and(|t| t.tag == TAG_VERSION) {
        fields.next();
    }
    // serial, signature algorithm, issuer, validity, subject, spki.
    let _serial = fields.next()?;
    let _sig_alg = fields.next()?;
    let _issuer = fields.next()?;
    let _validity = fields.next()?;
    let subject = fields.next()?;
    let spki = fields.next()?;
    if subject.tag != TAG_SEQUENCE || spki.tag != TAG_SEQUENCE {
        return None;
    }
    let (subject_str, dcs) = subject_strings(subject.content)?;
    let digest = ring::digest::digest(&ring::digest::SHA256, spki.raw);
    let mut pc = PeerCert {
        subject: subject_str,
        domain_components: dcs,
        spki_sha256: hex(digest.as_ref()),
        ..PeerCert::default()
    };
    for f in fields {
        if f.tag == TAG_EXTENSIONS {
            read_sans(f.content, &mut pc)?;
        }
    }
    Some(pc)
}

fn read_sans(exts: &[u8], pc: &mut PeerCert) -> Option<()> {
    let (seq, _) = read(exts)?;
    for ext in children(seq.content)? {
        let parts = children(ext.content)?;
        let Some(oid) = parts.first() else { continue };
        if oid.tag != TAG_OID || oid.content != OID_SAN {
            continue;
        }
        let Some(value) = parts.iter().rev().find(|t| t.tag == TAG_OCTET_STRING) else { continue };
        let (names, _) = read(value.content)?;
        for gn in children(names.content)? {
            let s = String::from_utf8_lossy(gn.content).into_owned();
            match gn.tag {
                GN_RFC822 => pc.emails.push(s),
                GN_DNS => pc.dns_names.push(s),
                GN_URI => pc.uris.push(s),
                _ => {}
            }
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_go() {
        assert_eq!(escape_value("a,b"), "a\\,b");
        assert_eq!(escape_value(" lead"), "\\ lead");
        assert_eq!(escape_value("trail "), "trail\\ ");
        assert_eq!(escape_value("#x#"), "\\#x#");
        assert_eq!(escape_value("plain name"), "plain name");
    }

    /// The subject prints as Go's `ToRDNSequence().String()`: fixed field
    /// order reversed, multi-valued fields joined with `+`, unknown
    /// attributes (email, DC) left out; DCs and SANs come separately.
    #[test]
    fn subject_and_sans_as_go_sees_them() {
        use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, SanType};
        let key = KeyPair::generate().unwrap();
        let mut p = CertificateParams::new(vec!["host.example".to_string()]).unwrap();
        p.subject_alt_names.push(SanType::Rfc822Name("a@b.example".try_into().unwrap()));
        p.subject_alt_names.push(SanType::URI("spiffe://example/alice".try_into().unwrap()));
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CustomDnType(vec![0, 9, 2342, 19200300, 100, 1, 25]), "example");
        dn.push(DnType::CountryName, "US");
        dn.push(DnType::CommonName, "alice, the 1st");
        dn.push(DnType::OrganizationName, "Synadia");
        dn.push(DnType::LocalityName, "LA");
        p.distinguished_name = dn;
        let cert = p.self_signed(&key).unwrap();
        let pc = peer_cert(cert.der()).expect("readable");
        assert_eq!(pc.subject, "CN=alice\\, the 1st,O=Synadia,L=LA,C=US");
        assert_eq!(pc.domain_components, "DC=example");
        assert_eq!(pc.dns_names, vec!["host.example"]);
        assert_eq!(pc.emails, vec!["a@b.example"]);
        assert_eq!(pc.uris, vec!["spiffe://example/alice"]);
        let spki = ring::digest::digest(&ring::digest::SHA256, &key.public_key_der());
        assert_eq!(pc.spki_sha256, hex(spki.as_ref()));
    }

    #[test]
    fn truncated_der_is_none() {
        assert!(peer_cert(&[]).is_none());
        assert!(peer_cert(&[0x30, 0x82, 0x01]).is_none());
        assert!(peer_cert(&[0x30, 0x03, 0x30, 0x01, 0x00]).is_none());
    }
}
