"""A model server behind TLS signed by a city's internal CA (docs/deployment.md §5).

The portal builds its model client with ``openai.DefaultHttpx2Client()`` (httpx2), which
verifies servers against the system's CA store, or against ``SSL_CERT_FILE`` /
``SSL_CERT_DIR`` when they are set. That is what the deployment guide tells a city to use,
so these tests hold the installed openai and httpx2 versions to it, through the portal's
own backend: a throwaway CA and server certificate (made with the ``openssl`` command), the
fake OpenAI server wrapped in TLS on 127.0.0.1, and a call that succeeds with the CA
configured and fails with a certificate error without it.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from portal import preflight
from portal.assistant.backends import openai_compat
from portal.assistant.backends.interface import BackendError, TextDelta
from portal.assistant.backends.specs import ModelSpec
from tests.fakes.openai_server import FakeOpenAI, Reply

MESSAGES = [{"role": "user", "content": "추진배경을 한 줄로 써 줘."}]

pytestmark = pytest.mark.skipif(
    shutil.which("openssl") is None, reason="the openssl command makes the test certificates"
)


def _openssl(directory: Path, *args: str) -> None:
    subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)


def make_certificates(directory: Path) -> dict[str, Path]:
    """A CA ("시험용 내부 인증기관") and a server certificate it signed for 127.0.0.1."""
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _openssl(
        directory, "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/O=Test City/CN=Test City Internal CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    _openssl(
        directory, "req", *ec, "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/O=Test City/CN=127.0.0.1",
    )  # fmt: skip
    (directory / "server.ext").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=serverAuth\n"
        "subjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid,issuer\n",
        encoding="utf-8",
    )
    _openssl(
        directory, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext",
    )  # fmt: skip
    # What the guide asks for: the system's CAs and the internal one, in one bundle.
    system = Path(ssl.get_default_verify_paths().openssl_cafile)
    bundle = directory / "bundle.pem"
    bundle.write_text(
        (system.read_text(encoding="utf-8") if system.is_file() else "")
        + (directory / "ca.pem").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    # SSL_CERT_DIR: OpenSSL finds a CA by its subject hash (what `c_rehash` makes).
    hashed = directory / "certs"
    hashed.mkdir()
    subject_hash = subprocess.run(
        ["openssl", "x509", "-hash", "-noout", "-in", "ca.pem"],
        cwd=directory,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    shutil.copy(directory / "ca.pem", hashed / f"{subject_hash}.0")
    return {
        "ca": directory / "ca.pem",
        "bundle": bundle,
        "dir": hashed,
        "cert": directory / "server.pem",
        "key": directory / "server.key",
    }


@pytest.fixture(scope="module")
def certificates(tmp_path_factory) -> dict[str, Path]:
    return make_certificates(tmp_path_factory.mktemp("internal-ca"))


@pytest.fixture(scope="module")
def tls_server(certificates) -> Iterator[FakeOpenAI]:
    """The fake OpenAI server, speaking HTTPS with the internal CA's certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates["cert"], certificates["key"])
    fake = FakeOpenAI(default=Reply.text("내부 모델의 답변입니다.")).start()
    # Wrapped before any client connects: each accepted connection shakes hands first.
    server = fake._server
    assert server is not None
    server.socket = context.wrap_socket(server.socket, server_side=True)
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def backend(tls_server, monkeypatch) -> Iterator[openai_compat.OpenAIBackend]:
    # This machine (and many CI images) set SSL_CERT_FILE to the system bundle already.
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    spec = ModelSpec(
        key="city-llm",
        backend="openai",
        label="내부 모델",
        model="qwen2.5-32b-instruct",
        base_url=f"https://127.0.0.1:{tls_server.port}/v1",
        internal=True,
    )
    openai_compat.close_clients()
    yield openai_compat.OpenAIBackend(spec)
    openai_compat.close_clients()


def _causes(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _assert_certificate_refused(error: BackendError) -> None:
    assert error.code == "connection"
    assert "모델 서버에 연결할 수 없습니다" in error.user_message
    assert any("CERTIFICATE_VERIFY_FAILED" in str(cause) for cause in _causes(error)), _causes(
        error
    )


def test_without_the_internal_ca_the_call_fails_with_a_certificate_error(backend, tls_server):
    before = len(tls_server.chat_requests())
    with pytest.raises(BackendError) as caught:
        backend.complete(MESSAGES, timeout=10)
    _assert_certificate_refused(caught.value)
    assert len(tls_server.chat_requests()) == before  # nothing was sent in the clear


def test_ssl_cert_file_naming_a_bundle_with_the_internal_ca_lets_the_portal_connect(
    backend, tls_server, certificates, monkeypatch
):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates["bundle"]))
    text, usage = backend.complete(MESSAGES, timeout=10)
    assert text == "내부 모델의 답변입니다."
    assert usage.estimated is False
    # The streamed answer (the sandbox's path) goes through the same client.
    with backend.stream_chat(MESSAGES, timeout=10) as stream:
        received = "".join(event.text for event in stream if isinstance(event, TextDelta))
    assert received == "내부 모델의 답변입니다."


def test_ssl_cert_dir_with_the_internal_ca_lets_the_portal_connect(
    backend, certificates, monkeypatch
):
    monkeypatch.setenv("SSL_CERT_DIR", str(certificates["dir"]))
    text, _usage = backend.complete(MESSAGES, timeout=10)
    assert text == "내부 모델의 답변입니다."


def test_the_bundle_is_read_when_the_endpoint_client_is_first_built(
    backend, certificates, monkeypatch
):
    """Why the guide says to restart the portal after changing SSL_CERT_FILE."""
    with pytest.raises(BackendError) as caught:
        backend.complete(MESSAGES, timeout=10)
    _assert_certificate_refused(caught.value)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificates["bundle"]))
    with pytest.raises(BackendError):
        backend.complete(MESSAGES, timeout=10)  # the cached client keeps its trust store
    openai_compat.close_clients()  # what a restart does
    assert backend.complete(MESSAGES, timeout=10)[0] == "내부 모델의 답변입니다."


def test_a_bundle_that_cannot_be_read_fails_the_call_plainly_not_with_a_crash(
    backend, tmp_path, monkeypatch, caplog
):
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "없는-파일.pem"))
    with pytest.raises(BackendError) as caught:
        backend.complete(MESSAGES, timeout=10)
    assert caught.value.code == "connection"
    assert "tls setup: FileNotFoundError" in caught.value.detail
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("이것은 인증서가 아닙니다\n", encoding="utf-8")
    monkeypatch.setenv("SSL_CERT_FILE", str(not_pem))
    with pytest.raises(BackendError) as caught:
        backend.stream_chat(MESSAGES, timeout=10)
    assert caught.value.code == "connection"
    assert "tls setup: SSLError" in caught.value.detail


# ------------------------------------------------------------------ preflight


def test_preflight_names_the_bundle_it_loaded(certificates):
    line = preflight.check_ca_bundle({"SSL_CERT_FILE": str(certificates["bundle"])})
    assert line.startswith(f"TLS 인증서: SSL_CERT_FILE {certificates['bundle']}, 인증서 ")
    assert preflight.check_ca_bundle({}) == "TLS 인증서: 시스템 기본 저장소"
    assert preflight.check_ca_bundle({"SSL_CERT_DIR": str(certificates["dir"])}) == (
        f"TLS 인증서: SSL_CERT_DIR {certificates['dir']}"
    )


def test_preflight_refuses_a_bundle_that_is_missing_or_holds_no_certificate(tmp_path):
    missing = tmp_path / "ca-bundle.pem"
    with pytest.raises(preflight.PreflightError, match="SSL_CERT_FILE이 가리키는 파일이 없습니다"):
        preflight.check_ca_bundle({"SSL_CERT_FILE": str(missing)})
    missing.write_text("-----BEGIN NOTHING-----\n", encoding="utf-8")
    with pytest.raises(preflight.PreflightError, match=r"SSL_CERT_FILE에 인증서\(PEM\)가 없습니다"):
        preflight.check_ca_bundle({"SSL_CERT_FILE": str(missing)})
    with pytest.raises(preflight.PreflightError, match="SSL_CERT_DIR이 가리키는 폴더가 없습니다"):
        preflight.check_ca_bundle({"SSL_CERT_DIR": str(tmp_path / "certs")})
