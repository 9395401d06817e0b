"""The gRPC server's call log: a failed call at INFO, an answered one only at DEBUG. Pure: the
interceptor around plain functions, with a stand-in for the call's context."""
import logging

import grpc
import pytest

from services.common.errors import NotFound
from services.common.grpc_server import DomainErrorInterceptor
from services.common.logs import correlation_id


class Aborted(Exception):
    pass


class Context:
    ids = ("cid-1",)

    def invocation_metadata(self):
        return tuple(("x-correlation-id", cid) for cid in self.ids) + (("user-agent", "grpc-python"),)

    def set_trailing_metadata(self, metadata):
        self.trailing = metadata

    def abort(self, code, message):
        raise Aborted(code)

    def code(self):
        return None


class Details:
    method = "/bss.test.v1.Test/Get"


def call(behaviour, context=None):
    handler = grpc.unary_unary_rpc_method_handler(behaviour)
    return DomainErrorInterceptor().intercept_service(lambda _: handler, Details()).unary_unary(
        "req", context or Context())


def test_an_answered_call_is_logged_at_debug_only(caplog):
    with caplog.at_level(logging.INFO, logger="services.common.grpc_server"):
        assert call(lambda request, context: "reply") == "reply"
    assert caplog.records == []
    with caplog.at_level(logging.DEBUG, logger="services.common.grpc_server"):
        call(lambda request, context: "reply")
    assert [(r.levelno, r.code) for r in caplog.records] == [(logging.DEBUG, "OK")]


def test_a_failed_call_is_logged_at_info_with_its_code(caplog):
    def missing(request, context):
        raise NotFound("no such thing", reason="thing-not-found")

    with caplog.at_level(logging.INFO, logger="services.common.grpc_server"), pytest.raises(Aborted):
        call(missing)
    assert [(r.levelno, r.code, r.method) for r in caplog.records] == [
        (logging.INFO, "NOT_FOUND", Details.method)]


def test_a_batched_call_works_under_the_correlation_id_of_each_request_in_it():
    context = Context()
    context.ids = ("req-1", "req-2")
    assert call(lambda request, context: correlation_id.get(), context) == "req-1,req-2"
    assert call(lambda request, context: correlation_id.get()) == "cid-1"
