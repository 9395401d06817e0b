"""The common interceptor maps errors of streaming methods as it does for unary ones: server-streaming,
also when the error comes after some messages were sent, and client-streaming (a file uploaded in
chunks); a real server with the interceptor on a free port."""
from __future__ import annotations

from concurrent import futures

import grpc
import pytest

from services.common.errors import NotFound
from services.common.grpc_server import DomainErrorInterceptor

pytestmark = pytest.mark.integration
METHOD = "/test.Streams/Count"


def count(request: bytes, context):
    """Sends two messages, then fails as the request asks."""
    yield b"1"
    yield b"2"
    if request == b"domain":
        raise NotFound("no third one", reason="third-not-found")
    if request == b"bug":
        raise RuntimeError("a bug")


def upload(chunks, context) -> bytes:
    """Takes chunks, and refuses a file with an empty one as a domain error (or fails on "bug")."""
    total = b""
    for chunk in chunks:
        if chunk == b"bug":
            raise RuntimeError("a bug")
        if not chunk:
            raise NotFound("an empty chunk", reason="empty-chunk")
        total += chunk
    return total


@pytest.fixture(scope="module")
def channel():
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2), interceptors=[DomainErrorInterceptor()])
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
        "test.Streams", {"Count": grpc.unary_stream_rpc_method_handler(count),
                         "Upload": grpc.stream_unary_rpc_method_handler(upload)}),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    yield channel
    channel.close()
    server.stop(0)


@pytest.fixture(scope="module")
def call(channel):
    return channel.unary_stream(METHOD)


def test_an_upload_answers_or_fails_with_its_status(channel):
    send = channel.stream_unary("/test.Streams/Upload")
    assert send(iter([b"ab", b"c"])) == b"abc"
    for chunks, code, reason in (([b"ab", b""], grpc.StatusCode.NOT_FOUND, "empty-chunk"),
                                 ([b"bug"], grpc.StatusCode.INTERNAL, None)):
        with pytest.raises(grpc.RpcError) as err:
            send(iter(chunks))
        assert err.value.code() == code
        assert dict(err.value.trailing_metadata() or ()).get("bss-reason") == reason


def test_a_stream_without_error_is_untouched(call):
    assert list(call(b"ok")) == [b"1", b"2"]


@pytest.mark.parametrize("request_, code, reason", [
    (b"domain", grpc.StatusCode.NOT_FOUND, "third-not-found"),
    (b"bug", grpc.StatusCode.INTERNAL, None),
])
def test_an_error_mid_stream_ends_it_with_its_status(call, request_, code, reason):
    received = []
    with pytest.raises(grpc.RpcError) as err:
        for message in call(request_):
            received.append(message)
    assert received == [b"1", b"2"]
    assert err.value.code() == code
    assert dict(err.value.trailing_metadata() or ()).get("bss-reason") == reason
