//! A root certificate's OpenSSL copy is made only when a native-tls client is built
//! (`patches/engine-version/reqwest-0.12.28.patch`): the engine's custom-CA path registers a
//! whole CA bundle with a rustls client, which never used that copy. Both backends must still
//! trust what they were given, and still refuse what they cannot parse.

use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::ec::EcGroup;
use openssl::ec::EcKey;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::PKey;
use openssl::x509::X509;
use openssl::x509::X509NameBuilder;
use openssl::x509::extension::BasicConstraints;

/// A self-signed CA certificate, as a CA bundle holds them.
fn ca_certificate(common_name: &str) -> X509 {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).expect("curve");
    let key = PKey::from_ec_key(EcKey::generate(&group).expect("key")).expect("pkey");
    let mut name = X509NameBuilder::new().expect("name");
    name.append_entry_by_nid(Nid::COMMONNAME, common_name)
        .expect("common name");
    let name = name.build();
    let serial = BigNum::from_u32(7)
        .and_then(|n| n.to_asn1_integer())
        .expect("serial");
    let mut builder = X509::builder().expect("builder");
    builder.set_version(2).expect("version");
    builder.set_serial_number(&serial).expect("serial");
    builder.set_subject_name(&name).expect("subject");
    builder.set_issuer_name(&name).expect("issuer");
    builder.set_pubkey(&key).expect("public key");
    builder
        .set_not_before(&Asn1Time::days_from_now(0).expect("time"))
        .expect("not before");
    builder
        .set_not_after(&Asn1Time::days_from_now(30).expect("time"))
        .expect("not after");
    builder
        .append_extension(
            BasicConstraints::new()
                .critical()
                .ca()
                .build()
                .expect("ext"),
        )
        .expect("basic constraints");
    builder.sign(&key, MessageDigest::sha256()).expect("sign");
    builder.build()
}

/// DER that is well-formed (a SEQUENCE holding INTEGER 1) but no certificate.
const NOT_A_CERTIFICATE: &[u8] = &[0x30, 0x03, 0x02, 0x01, 0x01];

fn der_roots(count: usize) -> Vec<reqwest::Certificate> {
    (0..count)
        .map(|i| {
            let der = ca_certificate(&format!("codex-embedded test CA {i}"))
                .to_der()
                .expect("der");
            reqwest::Certificate::from_der(&der).expect("a certificate")
        })
        .collect()
}

#[test]
fn a_rustls_client_takes_a_bundles_certificates() {
    let mut builder = reqwest::Client::builder().use_rustls_tls();
    for root in der_roots(3) {
        builder = builder.add_root_certificate(root);
    }
    builder
        .build()
        .expect("a rustls client with three custom roots");
}

#[test]
fn a_native_tls_client_takes_der_and_pem_certificates() {
    let pem = ca_certificate("codex-embedded test CA pem")
        .to_pem()
        .expect("pem");
    let mut builder = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("a certificate"));
    for root in der_roots(2) {
        builder = builder.add_root_certificate(root);
    }
    // No backend chosen: reqwest's default one, native-tls, gets the OpenSSL copies here.
    builder
        .build()
        .expect("a native-tls client with three custom roots");
}

/// The error of building `builder`'s client with one root that is no certificate.
fn refusal_of_unparsable_root(builder: reqwest::ClientBuilder) -> reqwest::Error {
    let root = reqwest::Certificate::from_der(NOT_A_CERTIFICATE).expect("parsed when used");
    builder
        .add_root_certificate(root)
        .build()
        .expect_err("a backend must refuse a root it cannot parse")
}

#[test]
fn each_backend_still_refuses_a_certificate_it_cannot_parse() {
    // No backend chosen: native-tls, which must refuse a root OpenSSL cannot parse.
    let native = refusal_of_unparsable_root(reqwest::Client::builder());
    assert!(native.is_builder(), "{native:?}");

    let rustls = refusal_of_unparsable_root(reqwest::Client::builder().use_rustls_tls());
    assert!(rustls.is_builder(), "{rustls:?}");
}
