"""Model backends against a real HTTP fake server, through the real ``openai`` client."""

from __future__ import annotations

import email.utils
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from portal.assistant.backends import openai_compat
from portal.assistant.backends.interface import BackendError, ChatStream, TextDelta, Usage
from portal.assistant.backends.offline import split_for_streaming
from portal.assistant.backends.registry import make_backend
from portal.assistant.backends.specs import OFFLINE, ModelSpec, parse_model_specs
from portal.assistant.backends.usage import estimate_prompt_tokens, estimate_tokens
from tests.fakes.openai_server import FakeOpenAI, Reply, split_text

MESSAGES = [
    {"role": "system", "content": "너는 공문서 작성 도우미다."},
    {"role": "user", "content": "추진배경을 세 줄로 써 줘."},
]
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    openai_compat.close_clients()


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def spec_for(fake: FakeOpenAI, **overrides: object) -> ModelSpec:
    values: dict[str, object] = {
        "key": "fake",
        "backend": "openai",
        "label": "가짜 모델",
        "model": "fake-model",
        "base_url": fake.base_url,
    }
    values.update(overrides)
    return ModelSpec(**values)  # type: ignore[arg-type]


def drain(stream: ChatStream) -> tuple[list[str], list[Usage]]:
    """Collect deltas and usages; re-raises a BackendError after keeping what came first."""
    texts: list[str] = []
    usages: list[Usage] = []
    for item in stream:
        if isinstance(item, TextDelta):
            texts.append(item.text)
        else:
            usages.append(item)
    return texts, usages


def drain_until_error(stream: ChatStream) -> tuple[list[str], BackendError]:
    texts: list[str] = []
    with pytest.raises(BackendError) as caught:
        for item in stream:
            assert isinstance(item, TextDelta), "no usage may follow a failure"
            texts.append(item.text)
    return texts, caught.value


def free_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


# -- streaming ------------------------------------------------------------------------------------


def test_stream_joins_text_and_reports_server_usage(fake: FakeOpenAI) -> None:
    fake.script(
        Reply(
            chunks=["□ 추진배경\n", " ○ 민원 증가", "에 대응"],
            prompt_tokens=31,
            completion_tokens=9,
        )
    )
    backend = make_backend(spec_for(fake))
    with backend.stream_chat(MESSAGES, timeout=2) as stream:
        texts, usages = drain(stream)
        assert stream.received_text == "□ 추진배경\n ○ 민원 증가에 대응"
    assert "".join(texts) == "□ 추진배경\n ○ 민원 증가에 대응"
    assert usages == [Usage(prompt_tokens=31, completion_tokens=9, estimated=False)]

    (request,) = fake.chat_requests()
    assert request.path == "/v1/chat/completions"
    assert request.body is not None
    assert request.body["stream"] is True
    assert request.body["stream_options"] == {"include_usage": True}
    assert request.body["model"] == "fake-model"
    assert request.body["messages"] == MESSAGES
    # Self-hosted servers need no key, but the SDK always sends a bearer token.
    assert request.headers["authorization"] == "Bearer not-needed"


def test_stream_without_usage_chunk_is_estimated(fake: FakeOpenAI) -> None:
    text = "□ 추진배경\n ○ 2025년 민원 건수가 전년 대비 12% 증가함"
    fake.script(Reply.text(text, include_usage=False))
    with make_backend(spec_for(fake)).stream_chat(MESSAGES, timeout=2) as stream:
        texts, usages = drain(stream)
    assert "".join(texts) == text
    (usage,) = usages
    assert usage.estimated is True
    assert usage.prompt_tokens == estimate_prompt_tokens(MESSAGES)
    assert usage.completion_tokens == estimate_tokens(text)
    # Plausible: about one token per syllable, never zero for a real answer.
    assert 20 <= usage.completion_tokens <= 40
    assert 25 <= usage.prompt_tokens <= 50


def test_stream_ending_without_finish_reason_or_usage_is_cut(fake: FakeOpenAI) -> None:
    fake.script(Reply(chunks=["가. ", "나. "], include_usage=False, finish_reason=None))
    with make_backend(spec_for(fake)).stream_chat(MESSAGES, timeout=2) as stream:
        texts, error = drain_until_error(stream)
    assert texts == ["가. ", "나. "]
    assert error.code == "stream_cut"


def test_sends_configured_api_key(fake: FakeOpenAI) -> None:
    fake.api_key = "sk-right"
    backend = make_backend(spec_for(fake, api_key="sk-right"))
    text, _usage = backend.complete(MESSAGES, timeout=2)
    assert text == Reply().full_text
    assert fake.chat_requests()[0].headers["authorization"] == "Bearer sk-right"


# -- failures -------------------------------------------------------------------------------------


def test_connection_refused() -> None:
    spec = ModelSpec(
        key="gone",
        backend="openai",
        label="없는 서버",
        model="m",
        base_url=f"http://127.0.0.1:{free_port()}/v1",
    )
    with pytest.raises(BackendError) as caught:
        make_backend(spec).stream_chat(MESSAGES, timeout=0.5)
    error = caught.value
    assert error.code == "connection"
    assert error.refused is True
    assert error.status is None
    assert "연결 거부" in error.user_message


def test_timeout_when_server_hangs(fake: FakeOpenAI) -> None:
    fake.script(Reply(hang=3))
    started = time.monotonic()
    with pytest.raises(BackendError) as caught:
        make_backend(spec_for(fake)).stream_chat(MESSAGES, timeout=0.3)
    assert time.monotonic() - started < 1.5
    assert caught.value.code == "timeout"
    assert caught.value.user_message.startswith("응답 시간이 초과되었습니다(0.3초)")


def test_timeout_when_stream_stalls_mid_answer(fake: FakeOpenAI) -> None:
    fake.script(Reply(chunks=["첫 문장. ", "둘째 문장. ", "셋째 문장."], chunk_delay=3))
    started = time.monotonic()
    stream = make_backend(spec_for(fake)).stream_chat(MESSAGES, timeout=0.4)
    texts, error = drain_until_error(stream)
    assert time.monotonic() - started < 1.5
    assert texts == ["첫 문장. "]
    assert stream.received_text == "첫 문장. "
    assert error.code == "timeout"
    assert error.usage is not None and error.usage.estimated
    assert error.usage.completion_tokens == estimate_tokens("첫 문장. ")


def test_complete_times_out(fake: FakeOpenAI) -> None:
    fake.script(Reply(hang=3))
    with pytest.raises(BackendError) as caught:
        make_backend(spec_for(fake)).complete(MESSAGES, timeout=0.3)
    assert caught.value.code == "timeout"


def test_wrong_api_key_is_auth_error(fake: FakeOpenAI) -> None:
    fake.api_key = "sk-right"
    with pytest.raises(BackendError) as caught:
        make_backend(spec_for(fake, api_key="sk-wrong")).stream_chat(MESSAGES, timeout=1)
    error = caught.value
    assert (error.code, error.status) == ("auth", 401)
    assert error.user_message == (
        "모델 서버 인증에 실패했습니다(401). 관리자에게 API 키 설정을 확인해 달라고 요청하세요."
    )


def test_forbidden_is_auth_error(fake: FakeOpenAI) -> None:
    fake.script(Reply.error(403))
    with pytest.raises(BackendError) as caught:
        make_backend(spec_for(fake)).complete(MESSAGES, timeout=1)
    assert (caught.value.code, caught.value.status) == ("auth", 403)


def test_rate_limit_with_retry_after_seconds(fake: FakeOpenAI) -> None:
    fake.script(Reply.error(429, retry_after=7))
    with pytest.raises(BackendError) as caught:
        make_backend(spec_for(fake)).stream_chat(MESSAGES, timeout=1)
    error = caught.value
    assert (error.code, error.status, error.retry_after) == ("rate_limit", 429, 7)
    assert error.user_message == "요청이 너무 많습니다(429). 7초 후 다시 시도하세요."
    assert len(fake.chat_requests()) == 1  # never retried by the SDK


def test_rate_limit_with_retry_after_http_date(fake: FakeOpenAI) -> None:
    when = email.utils.formatdate(time.time() + 120, usegmt=True)
    fake.script(Reply.error(429, retry_after=when))
    with pytest.raises(BackendError) as caught:
        make_backend(spec_for(fake)).stream_chat(MESSAGES, timeout=1)
    assert caught.value.retry_after is not None
    assert 115 <= caught.value.retry_after <= 121


def test_rate_limit_without_retry_after(fake: FakeOpenAI) -> None:
    fake.script(Reply.error(429))
    with pytest.raises(BackendError) as caught:
        make_backend(spec_for(fake)).stream_chat(MESSAGES, timeout=1)
    assert caught.value.retry_after is None
    assert "잠시 후" in caught.value.user_message


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "7"}, 7),
        ({"retry-after": "1.2"}, 2),
        ({"retry-after-ms": "1500", "retry-after": "60"}, 2),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0),  # in the past
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str], expected: int | None) -> None:
    assert openai_compat._parse_retry_after(headers) == expected


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors(fake: FakeOpenAI, status: int) -> None:
    fake.script(Reply.error(status))
    with pytest.raises(BackendError) as caught:
        make_backend(spec_for(fake)).stream_chat(MESSAGES, timeout=1)
    error = caught.value
    assert (error.code, error.status) == ("server", status)
    assert error.user_message.startswith(f"모델 서버 오류입니다({status})")
    assert len(fake.chat_requests()) == 1


def test_other_client_errors_are_rejected(fake: FakeOpenAI) -> None:
    fake.script(Reply.error(400, message="context length exceeded"))
    with pytest.raises(BackendError) as caught:
        make_backend(spec_for(fake)).stream_chat(MESSAGES, timeout=1)
    assert (caught.value.code, caught.value.status) == ("rejected", 400)
    assert "(400)" in caught.value.user_message


def test_stream_cut_after_two_chunks_keeps_partial_text(fake: FakeOpenAI) -> None:
    fake.script(Reply(chunks=["가나다 ", "라마바 ", "사아자"], cut_after=2))
    stream = make_backend(spec_for(fake)).stream_chat(MESSAGES, timeout=2)
    texts, error = drain_until_error(stream)
    assert texts == ["가나다 ", "라마바 "]
    assert error.code == "stream_cut"
    assert error.partial is True
    assert error.usage == Usage(
        prompt_tokens=estimate_prompt_tokens(MESSAGES),
        completion_tokens=estimate_tokens("가나다 라마바 "),
        estimated=True,
    )
    assert error.user_message == "답변이 도중에 끊겼습니다. 받은 부분까지 저장했습니다."


def test_malformed_chunk_is_bad_response(fake: FakeOpenAI) -> None:
    fake.script(Reply(chunks=["하나 ", "둘 ", "셋"], malformed_after=2))
    stream = make_backend(spec_for(fake)).stream_chat(MESSAGES, timeout=2)
    texts, error = drain_until_error(stream)
    assert texts == ["하나 ", "둘 "]
    assert error.code == "bad_response"
    assert error.partial


def test_every_code_has_a_korean_message() -> None:
    for code in BackendError.CODES:
        message = BackendError(code, status=500, timeout=5, retry_after=3).user_message
        assert message
        assert any("\uac00" <= ch <= "\ud7a3" for ch in message), code
    with pytest.raises(ValueError, match="unknown backend error code"):
        BackendError("nope")


# -- closing --------------------------------------------------------------------------------------


def test_close_mid_stream_disconnects_upstream(fake: FakeOpenAI) -> None:
    fake.script(Reply(chunks=[f"{i}번째 조각. " for i in range(200)], chunk_delay=0.02))
    stream = make_backend(spec_for(fake)).stream_chat(MESSAGES, timeout=2)
    received = []
    for item in stream:
        assert isinstance(item, TextDelta)
        received.append(item.text)
        if len(received) == 2:
            stream.close()
    assert received == ["0번째 조각. ", "1번째 조각. "]
    assert stream.closed
    assert fake.wait_for_disconnect(2.0)
    assert fake.disconnects == 1


def test_close_from_another_thread_unblocks_the_reader(fake: FakeOpenAI) -> None:
    fake.script(Reply(chunks=["처음. ", "한참 뒤."], chunk_delay=5))
    stream = make_backend(spec_for(fake)).stream_chat(MESSAGES, timeout=10)
    first = threading.Event()
    outcome: list[object] = []

    def read() -> None:
        try:
            for item in stream:
                outcome.append(item)
                first.set()
            outcome.append("ended")
        except BaseException as exc:  # pragma: no cover - reported below
            outcome.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    assert first.wait(2)
    started = time.monotonic()
    stream.close()
    reader.join(2)
    assert not reader.is_alive()
    assert time.monotonic() - started < 1.5
    assert outcome == [TextDelta("처음. "), "ended"]


def test_finished_stream_close_is_harmless(fake: FakeOpenAI) -> None:
    backend = make_backend(spec_for(fake))
    stream = backend.stream_chat(MESSAGES, timeout=2)
    texts, _usages = drain(stream)
    stream.close()
    stream.close()
    assert "".join(texts) == Reply().full_text
    assert fake.disconnects == 0


# -- non-streaming --------------------------------------------------------------------------------


def test_complete_with_json_mode(fake: FakeOpenAI) -> None:
    rubric = '{"criteria": [{"id": "structure", "score": 4, "comment": "두괄식 구성이 좋음"}]}'
    fake.script(Reply(chunks=[rubric], prompt_tokens=120, completion_tokens=30))
    text, usage = make_backend(spec_for(fake)).complete(MESSAGES, timeout=2, json_mode=True)
    assert text == rubric
    assert usage == Usage(120, 30, estimated=False)
    (request,) = fake.chat_requests()
    assert request.body is not None
    assert request.body["response_format"] == {"type": "json_object"}
    assert not request.body.get("stream")


def test_complete_without_usage_is_estimated(fake: FakeOpenAI) -> None:
    fake.script(Reply(chunks=["점수: 4점"], include_usage=False))
    text, usage = make_backend(spec_for(fake)).complete(MESSAGES, timeout=2)
    assert text == "점수: 4점"
    assert usage.estimated
    assert usage.completion_tokens == estimate_tokens("점수: 4점")
    first = fake.chat_requests()[0].body
    assert first is not None and "response_format" not in first


def test_complete_maps_errors(fake: FakeOpenAI) -> None:
    fake.script(Reply.error(502))
    with pytest.raises(BackendError) as caught:
        make_backend(spec_for(fake)).complete(MESSAGES, timeout=1)
    assert (caught.value.code, caught.value.status) == ("server", 502)


def test_client_and_connection_are_reused(fake: FakeOpenAI) -> None:
    spec = spec_for(fake)
    assert openai_compat._client_for(spec) is openai_compat._client_for(spec)
    backend = make_backend(spec)
    backend.complete(MESSAGES, timeout=2)
    make_backend(spec_for(fake, key="same-server")).complete(MESSAGES, timeout=2)
    first, second = fake.chat_requests()
    assert first.client_port == second.client_port


def test_concurrent_streams_share_one_backend(fake: FakeOpenAI) -> None:
    fake.default = Reply(chunks=["하나 ", "둘 ", "셋"], chunk_delay=0.01)
    backend = make_backend(spec_for(fake))
    results: list[str] = []
    lock = threading.Lock()

    def run() -> None:
        with backend.stream_chat(MESSAGES, timeout=3) as stream:
            texts, usages = drain(stream)
        assert len(usages) == 1
        with lock:
            results.append("".join(texts))

    threads = [threading.Thread(target=run) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert results == ["하나 둘 셋"] * 20


# -- Azure ----------------------------------------------------------------------------------------


def test_azure_backend_uses_deployment_path(fake: FakeOpenAI) -> None:
    fake.api_key = "az-key"
    spec = ModelSpec(
        key="azure-gpt",
        backend="azure",
        label="Azure",
        model="my-deploy",
        azure_endpoint=fake.root_url,
        api_version="2024-10-21",
        api_key="az-key",
    )
    fake.script(Reply(chunks=["애저 ", "답변"], prompt_tokens=10, completion_tokens=2))
    with make_backend(spec).stream_chat(MESSAGES, timeout=2) as stream:
        texts, usages = drain(stream)
    assert "".join(texts) == "애저 답변"
    assert usages == [Usage(10, 2, estimated=False)]
    (request,) = fake.chat_requests()
    assert request.path == "/openai/deployments/my-deploy/chat/completions"
    assert request.query["api-version"] == ["2024-10-21"]
    assert request.headers["api-key"] == "az-key"

    fake.script(Reply.error(401))
    with pytest.raises(BackendError) as caught:
        make_backend(spec).complete(MESSAGES, timeout=1)
    assert caught.value.code == "auth"


# -- configuration --------------------------------------------------------------------------------


def test_parse_model_specs() -> None:
    specs = parse_model_specs(
        [
            {
                "key": "sejong-llm",
                "backend": "openai",
                "label": "세종 LLM",
                "model": "qwen2.5-14b",
                "base_url": "http://10.0.0.5:8000/v1",
                "internal": True,
            },
            {
                "key": "azure-gpt",
                "backend": "azure",
                "label": "Azure GPT",
                "model": "gpt-4o-deploy",
                "azure_endpoint": "https://example.openai.azure.com",
                "api_version": "2024-10-21",
                "api_key": "secret",
            },
        ]
    )
    assert list(specs) == ["offline", "sejong-llm", "azure-gpt"]
    assert specs["offline"] is OFFLINE
    assert specs["sejong-llm"].internal is True
    assert specs["sejong-llm"].api_key is None
    assert specs["azure-gpt"].internal is False
    assert "secret" not in repr(specs["azure-gpt"])
    assert list(parse_model_specs([])) == ["offline"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"models": []}, "must be a list"),
        (["openai"], "must be an object"),
        ([{"key": "a", "backend": "openai", "label": "A", "model": "m", "url": "x"}], "'url'"),
        ([{"key": "a", "backend": "vllm", "label": "A", "model": "m"}], "unknown backend 'vllm'"),
        ([{"key": "a", "backend": "offline", "label": "A"}], "built in"),
        ([{"backend": "openai", "label": "A", "model": "m"}], "missing required field 'key'"),
        ([{"key": "a", "backend": "openai", "model": "m"}], "missing required field 'label'"),
        ([{"key": "a", "backend": "openai", "label": "A"}], "needs field 'model'"),
        (
            [{"key": "a", "backend": "azure", "label": "A", "model": "d", "api_key": "k"}],
            "needs field 'azure_endpoint'",
        ),
        ([{"key": "offline", "backend": "openai", "label": "A", "model": "m"}], "reserved"),
        ([{"key": "Bad Key", "backend": "openai", "label": "A", "model": "m"}], "key must be"),
        (
            [{"key": "a", "backend": "openai", "label": "A", "model": "m", "internal": "yes"}],
            "true or false",
        ),
        ([{"key": "a", "backend": "openai", "label": "A", "model": 5}], "'model' must be a string"),
        (
            [{"key": "a", "backend": "openai", "label": "A", "model": "m", "base_url": "x.y/v1"}],
            "http://",
        ),
        (
            [
                {"key": "a", "backend": "openai", "label": "A", "model": "m"},
                {"key": "a", "backend": "openai", "label": "B", "model": "n"},
            ],
            "repeated",
        ),
    ],
)
def test_parse_model_specs_rejects(raw: object, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        parse_model_specs(raw)  # type: ignore[arg-type]


# -- estimates and the offline coach --------------------------------------------------------------


def test_estimate_tokens() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("   \n") == 0
    assert estimate_tokens("안녕하세요") == 5
    assert estimate_tokens("hello world") == 4  # 2 + 2 (4 characters per token)
    assert estimate_tokens("2025년 예산") == 1 + 1 + 2
    assert estimate_tokens("□ 추진배경") == 1 + 4
    long_text = "보고서 작성 연습입니다. " * 50
    assert estimate_tokens(long_text) == 50 * (3 + 2 + 5 + 1)
    assert estimate_prompt_tokens([{"role": "user", "content": "안녕"}]) == 3 + 4 + 2


def test_offline_backend_streams_the_responder_text() -> None:
    seen: list[list[dict[str, str]]] = []
    answer = "□ 추진배경\n ○ 주제를 한 문장으로 쓰세요. 숫자에는 단위를 붙이세요!\n끝"

    def responder(messages: list[dict[str, str]]) -> str:
        seen.append(messages)
        return answer

    backend = make_backend(OFFLINE, offline_responder=responder)
    with backend.stream_chat(MESSAGES, timeout=1) as stream:
        texts, usages = drain(stream)
    assert seen == [MESSAGES]
    assert "".join(texts) == answer
    assert texts == [
        "□ 추진배경\n",
        " ○ 주제를 한 문장으로 쓰세요. ",
        "숫자에는 단위를 붙이세요!",
        "\n",
        "끝",
    ]
    assert usages == [Usage(0, 0, estimated=False)]
    assert backend.complete(MESSAGES, timeout=1) == (answer, Usage(0, 0, estimated=False))


def test_offline_backend_needs_a_responder() -> None:
    with pytest.raises(ValueError, match="offline_responder"):
        make_backend(OFFLINE)


@pytest.mark.parametrize("text", ["", "한 줄", "가. 나.\n\n다?", "끝에 줄바꿈\n", "a.b. c"])
def test_split_for_streaming_round_trips(text: str) -> None:
    assert "".join(split_for_streaming(text)) == text
    assert all(split_for_streaming(text))


# -- the fake server itself -----------------------------------------------------------------------


def test_fake_server_requires_a_bearer_token_and_lists_models(fake: FakeOpenAI) -> None:
    import json
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{fake.base_url}/models", timeout=2)
    assert caught.value.code == 401
    caught.value.close()
    request = urllib.request.Request(
        f"{fake.base_url}/models", headers={"Authorization": "Bearer x"}
    )
    with urllib.request.urlopen(request, timeout=2) as response:
        payload = json.load(response)
    assert payload["object"] == "list"
    assert [m["id"] for m in payload["data"]] == ["fake-model"]


def test_split_text_round_trips() -> None:
    assert "".join(split_text("가나다라마바사", 3)) == "가나다라마바사"
    assert [len(c) for c in split_text("가나다라마바사", 3)] == [3, 2, 2]
    assert split_text("가나", 5) == ["가", "나"]
    assert split_text("a b c") == ["a ", "b ", "c"]


def test_fake_server_runs_standalone() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakes.openai_server",
            "--port",
            "0",
            "--reply-text",
            "독립 실행 답변입니다.",
            "--chunks",
            "4",
            "--chunk-delay",
            "0.001",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        spec = ModelSpec(key="cli", backend="openai", label="CLI", model="m", base_url=base_url)
        with make_backend(spec).stream_chat(MESSAGES, timeout=2) as stream:
            texts, usages = drain(stream)
        assert "".join(texts) == "독립 실행 답변입니다."
        assert len(texts) == 4
        assert usages[0].estimated is False
    finally:
        openai_compat.close_clients()
        process.terminate()
        process.wait(5)
        if process.stdout is not None:
            process.stdout.close()
    assert process.returncode == 0
