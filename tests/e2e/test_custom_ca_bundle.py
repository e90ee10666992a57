"""A CA bundle named by ``SSL_CERT_FILE`` or ``CODEX_CA_CERTIFICATE`` switches the engine's
model client to rustls with the bundle's certificates on top of the system roots, as the
official engine does. The reqwest patch (vendor/codex/README.md) stops each certificate from
also being parsed by OpenSSL for a copy that client never uses; the bundle must still be read
and registered, and a certificate nothing can parse must still be refused, the engine then
falling back to the system roots with a warning, as before.

Each case runs in a fresh process: the engine builds its model client once per process, from
the environment it finds at the first turn.
"""

from __future__ import annotations

import datetime
import os
import textwrap
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from codex.testing import MockResponsesServer

from .conftest import run_python_program

PROGRAM = textwrap.dedent(
    """\
    import sys
    from codex import Codex

    base_url, workspace = sys.argv[1:3]
    with Codex(base_url=base_url, api_key="sk-e2e-test-key", cwd=workspace) as client:
        assert client.thread_start().run("hello").final_response == "Hello from the mock."
    """
)

CUSTOM_CA_CLIENT = "building HTTP client with rustls backend for custom CA bundle"
CUSTOM_CA_FAILED = "failed to build HTTP client with custom CA"
# Well-formed DER (a SEQUENCE holding INTEGER 1) in a CERTIFICATE block: no certificate.
NOT_A_CERTIFICATE = "-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n"


def _ca_certificate_pem(common_name: str) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _run_one_turn(mock: MockResponsesServer, workspace: Path, ca_env: dict[str, str]) -> str:
    env = {key: value for key, value in os.environ.items() if key not in ("SSL_CERT_FILE", "CODEX_CA_CERTIFICATE")}
    env.update(ca_env, CODEX_LOG="info")
    done = run_python_program(PROGRAM, mock.base_url, str(workspace), env=env)
    assert len([r for r in mock.requests if r.method == "POST"]) == 1
    return done.stderr


def test_a_bundle_in_ssl_cert_file_is_registered_with_the_model_client(
    codex_mock: MockResponsesServer, codex_workspace: Path, tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle.pem"
    bundle.write_text("".join(_ca_certificate_pem(f"codex-embedded test CA {i}") for i in range(3)))

    log = _run_one_turn(codex_mock, codex_workspace, {"SSL_CERT_FILE": str(bundle)})

    assert CUSTOM_CA_CLIENT in log, log[-3000:]
    assert "certificate_count=3" in log, log[-3000:]
    assert CUSTOM_CA_FAILED not in log, log[-3000:]


def test_a_certificate_that_cannot_be_parsed_is_refused_and_the_system_roots_used(
    codex_mock: MockResponsesServer, codex_workspace: Path, tmp_path: Path
) -> None:
    bundle = tmp_path / "broken.pem"
    bundle.write_text(_ca_certificate_pem("codex-embedded test CA") + NOT_A_CERTIFICATE)

    log = _run_one_turn(codex_mock, codex_workspace, {"CODEX_CA_CERTIFICATE": str(bundle)})

    assert CUSTOM_CA_CLIENT in log, log[-3000:]
    failures = [line for line in log.splitlines() if CUSTOM_CA_FAILED in line]
    assert failures, log[-3000:]
    assert str(bundle) in failures[0], failures[0]
