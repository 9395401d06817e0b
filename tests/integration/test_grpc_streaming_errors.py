"""The common interceptor maps errors of server-streaming methods as it does for unary ones, also when
the error comes after some messages were sent; a real server with the interceptor on a free port."""
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


@pytest.fixture(scope="module")
def call():
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2), interceptors=[DomainErrorInterceptor()])
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
        "test.Streams", {"Count": grpc.unary_stream_rpc_method_handler(count)}),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    yield channel.unary_stream(METHOD)
    channel.close()
    server.stop(0)


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
