//! TLS client settings shared by the gates that speak HTTPS themselves
//! (gate-health's probes, gate-load's connections, gate-deploy through
//! both): the Mozilla roots plus a user's CA file, or no verification.
//!
//! A certificate that is itself in the CA file is trusted as the server's
//! certificate even when it says `CA:TRUE`, as OpenSSL (curl, Python) does:
//! OpenSSL 3's `openssl req -x509` marks every certificate it makes a CA, so
//! the standard self-signed certificate is one. Its name and validity are
//! still checked; webpki alone refuses it (`CaUsedAsEndEntity`).

use std::sync::Arc;

/// TLS client settings: the Mozilla roots (webpki-roots) plus `extra_ca`
/// (PEM certificates), or no verification at all when `insecure`.
pub fn client_config(extra_ca: &[Vec<u8>], insecure: bool) -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?;
    if insecure {
        return Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerify(provider)))
            .with_no_client_auth());
    }
    let mut roots =
        rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let mut pinned = Vec::new();
    for pem in extra_ca {
        use rustls::pki_types::pem::PemObject;
        let mut n = 0;
        for cert in rustls::pki_types::CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| format!("not a PEM certificate: {e}"))?;
            roots
                .add(cert.clone())
                .map_err(|e| format!("unusable CA certificate: {e}"))?;
            pinned.push(cert);
            n += 1;
        }
        if n == 0 {
            return Err("no PEM certificate (-----BEGIN CERTIFICATE-----) in the CA file".into());
        }
    }
    if pinned.is_empty() {
        return Ok(builder.with_root_certificates(roots).with_no_client_auth());
    }
    let verifier = TrustedCaFile::new(roots, pinned, provider)?;
    Ok(builder
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth())
}

/// webpki's verification, and OpenSSL's acceptance of a server certificate
/// that is itself one of the CA file's certificates (byte for byte), whatever
/// its basic constraints: its names must match and it must be valid now.
#[derive(Debug)]
struct TrustedCaFile {
    webpki: Arc<rustls::client::WebPkiServerVerifier>,
    pinned: Vec<rustls::pki_types::CertificateDer<'static>>,
}

impl TrustedCaFile {
    fn new(
        roots: rustls::RootCertStore,
        pinned: Vec<rustls::pki_types::CertificateDer<'static>>,
        provider: Arc<rustls::crypto::CryptoProvider>,
    ) -> Result<Self, String> {
        let webpki =
            rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| format!("TLS setup: {e}"))?;
        Ok(TrustedCaFile { webpki, pinned })
    }
}

impl rustls::client::danger::ServerCertVerifier for TrustedCaFile {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        intermediates: &[rustls::pki_types::CertificateDer<'_>],
        server_name: &rustls::pki_types::ServerName<'_>,
        ocsp_response: &[u8],
        now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        let error = match self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        if !self
            .pinned
            .iter()
            .any(|p| p.as_ref() == end_entity.as_ref())
        {
            return Err(error);
        }
        let parsed = rustls::server::ParsedCertificate::try_from(end_entity)?;
        rustls::client::verify_server_name(&parsed, server_name)?;
        let Some((not_before, not_after)) = validity(end_entity.as_ref()) else {
            return Err(error);
        };
        let now = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
        if now < not_before {
            return Err(rustls::CertificateError::NotValidYet.into());
        }
        if now > not_after {
            return Err(rustls::CertificateError::Expired.into());
        }
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// Reads one DER TLV at the start of `data`: (tag, content, rest).
fn tlv(data: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = data.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// `notBefore` and `notAfter` of a DER certificate, in Unix seconds
/// (RFC 5280 §4.1: Certificate → tbsCertificate → [version] serial
/// signature issuer validity).
pub fn validity(der: &[u8]) -> Option<(i64, i64)> {
    let (0x30, cert, _) = tlv(der)? else {
        return None;
    };
    let (0x30, tbs, _) = tlv(cert)? else {
        return None;
    };
    let (tag, _, mut rest) = tlv(tbs)?;
    if tag == 0xa0 {
        rest = tlv(rest)?.2; // the serial after the explicit version
    }
    let (_, _, r) = tlv(rest)?; // signature algorithm
    let (_, _, r) = tlv(r)?; // issuer
    let (0x30, validity, _) = tlv(r)? else {
        return None;
    };
    let (tag, time, r) = tlv(validity)?;
    let not_before = asn1_time(tag, std::str::from_utf8(time).ok()?)?;
    let (tag, time, _) = tlv(r)?;
    let not_after = asn1_time(tag, std::str::from_utf8(time).ok()?)?;
    Some((not_before, not_after))
}

/// UTCTime (`YYMMDDHHMMSSZ`, 50..99 → 19xx) or GeneralizedTime, in Unix seconds.
fn asn1_time(tag: u8, s: &str) -> Option<i64> {
    let s = s.strip_suffix('Z')?;
    let full = match tag {
        0x17 => {
            let yy: i32 = s.get(..2)?.parse().ok()?;
            let century = if yy >= 50 { "19" } else { "20" };
            format!("{century}{s}")
        }
        0x18 => s.to_string(),
        _ => return None,
    };
    let dt = chrono::NaiveDateTime::parse_from_str(&full, "%Y%m%d%H%M%S").ok()?;
    Some(dt.and_utc().timestamp())
}

/// `insecure: true`: accepts any certificate (signatures are still checked).
#[derive(Debug)]
struct NoVerify(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn asn1_times_and_truncated_certificates() {
        assert_eq!(asn1_time(0x17, "700101000000Z"), Some(0));
        assert_eq!(asn1_time(0x17, "491231235959Z"), Some(2_524_607_999));
        assert_eq!(asn1_time(0x18, "20380119031408Z"), Some(2_147_483_648));
        assert_eq!(asn1_time(0x18, "garbage"), None);
        assert_eq!(validity(&[]), None);
        assert_eq!(validity(&[0x30, 0x82, 0xff]), None);
        assert_eq!(validity(&[0x30, 0x03, 0x02, 0x01, 0x00]), None);
    }
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

    /// The standard self-signed certificate, exactly as the OpenSSL 3
    /// documentation makes it (CA:TRUE): (cert PEM, key PEM).
    fn openssl_self_signed(days: &str) -> (Vec<u8>, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        let out = std::process::Command::new("openssl")
            .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .args(["-days", days, "-subj", "/CN=localhost"])
            .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
            .output()
            .expect("openssl must be installed for this test (Debian: openssl)");
        assert!(out.status.success(), "{out:?}");
        (std::fs::read(cert).unwrap(), std::fs::read(key).unwrap())
    }

    /// A full TLS handshake in memory between `client` and a server with
    /// the certificate; the client's error, if any.
    fn handshake(client: ClientConfig, name: &str, cert: &[u8], key: &[u8]) -> Result<(), String> {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert)
            .map(|c| c.unwrap())
            .collect();
        let key = PrivateKeyDer::from_pem_slice(key).unwrap();
        let server = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
        let name = ServerName::try_from(name.to_string()).unwrap();
        let mut c = rustls::ClientConnection::new(Arc::new(client), name).unwrap();
        let mut s = rustls::ServerConnection::new(Arc::new(server)).unwrap();
        for _ in 0..20 {
            let mut buf = Vec::new();
            c.write_tls(&mut buf).unwrap();
            s.read_tls(&mut buf.as_slice()).unwrap();
            s.process_new_packets()
                .map_err(|e| format!("server: {e}"))?;
            let mut buf = Vec::new();
            s.write_tls(&mut buf).unwrap();
            c.read_tls(&mut buf.as_slice()).unwrap();
            c.process_new_packets().map_err(|e| e.to_string())?;
            if !c.is_handshaking() && !s.is_handshaking() {
                return Ok(());
            }
        }
        Err("the handshake did not finish".into())
    }

    use rustls::ClientConfig;

    #[test]
    fn openssl_self_signed_ca_certificate_is_trusted_as_the_ca_file() {
        let (cert, key) = openssl_self_signed("30");
        let der = CertificateDer::pem_slice_iter(&cert)
            .next()
            .unwrap()
            .unwrap();
        // What OpenSSL 3 makes: a CA certificate, which webpki alone refuses.
        let plain = {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(der.clone()).unwrap();
            ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(roots)
                .with_no_client_auth()
        };
        let e = handshake(plain, "localhost", &cert, &key).unwrap_err();
        assert!(e.contains("CaUsedAsEndEntity"), "{e}");
        // Trusted through the CA file, by name and by IP, as curl does.
        for name in ["localhost", "127.0.0.1"] {
            let cfg = client_config(std::slice::from_ref(&cert), false).unwrap();
            handshake(cfg, name, &cert, &key).unwrap();
        }
        // Its names are still checked.
        let cfg = client_config(std::slice::from_ref(&cert), false).unwrap();
        let e = handshake(cfg, "example.com", &cert, &key).unwrap_err();
        assert!(e.contains("not valid for name"), "{e}");
        // Without the CA file, not trusted.
        let e =
            handshake(client_config(&[], false).unwrap(), "localhost", &cert, &key).unwrap_err();
        assert!(e.contains("invalid peer certificate"), "{e}");
        // Another self-signed certificate in the CA file does not vouch for it.
        let (other, _) = openssl_self_signed("30");
        let cfg = client_config(&[other], false).unwrap();
        let e = handshake(cfg, "localhost", &cert, &key).unwrap_err();
        assert!(e.contains("invalid peer certificate"), "{e}");
    }

    #[test]
    fn a_pinned_certificate_out_of_its_validity_is_refused() {
        let (cert, _) = openssl_self_signed("30");
        let der = CertificateDer::pem_slice_iter(&cert)
            .next()
            .unwrap()
            .unwrap();
        let (not_before, not_after) = validity(der.as_ref()).unwrap();
        assert!(
            (not_after - not_before - 30 * 86400).abs() <= 1,
            "{not_before} {not_after}"
        );
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        roots.add(der.clone()).unwrap();
        let v = TrustedCaFile::new(roots, vec![der.clone()], provider).unwrap();
        use rustls::client::danger::ServerCertVerifier as _;
        let name = ServerName::try_from("localhost").unwrap();
        let at = |t: i64| {
            rustls::pki_types::UnixTime::since_unix_epoch(std::time::Duration::from_secs(t as u64))
        };
        assert!(
            v.verify_server_cert(&der, &[], &name, &[], at(not_before + 10))
                .is_ok()
        );
        let e = v
            .verify_server_cert(&der, &[], &name, &[], at(not_after + 10))
            .unwrap_err();
        assert!(e.to_string().contains("Expired"), "{e}");
        let e = v
            .verify_server_cert(&der, &[], &name, &[], at(not_before - 10))
            .unwrap_err();
        assert!(e.to_string().contains("NotValidYet"), "{e}");
    }
}
