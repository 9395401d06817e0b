"""The service registry and what each spec declares; the processes `make run` derives from them; each
service's settings apart from the shared ones."""
from __future__ import annotations

import pydantic
import pytest

from deploy.suite import processes
from gateway.app.settings import DEV_JWT_SECRET, GatewaySettings
from services.common.grpc_main import main as grpc_main
from services.common.service import ServiceSpec, load
from services.common.settings import DEV_SERVICE_PASSWORD, Settings
from services.customer.settings import CustomerSettings
from services.registry import SERVICES, service_spec

REAL_PASSWORD = "a-real-service-password"


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_every_spec_names_what_the_platform_needs(spec: ServiceSpec):
    assert spec.name.isidentifier() and spec.name.islower()
    assert issubclass(spec.settings, Settings)
    assert spec.migrations.is_dir() and any(spec.migrations.glob("*.sql"))
    if spec.grpc:
        assert callable(load(spec.grpc))
        assert f"{spec.name}_grpc" in spec.settings.model_fields, "where its gRPC server listens"
    for path in spec.workers:
        assert load(path).name == spec.name, "a worker's nameko name is its service's name"
    # Importing a worker class must not turn this process green: only the worker entry point patches, or
    # every asyncio test after this one (the gateway's) would hang on eventlet's hub.
    import eventlet.patcher
    assert not eventlet.patcher.is_monkey_patched("socket")
    if spec.setup:
        assert callable(load(spec.setup))
    if spec.demo:
        assert callable(load(spec.demo))


def test_service_names_are_unique_and_found_by_name():
    names = [s.name for s in SERVICES]
    assert len(names) == len(set(names))
    assert service_spec("customer").name == "customer"
    with pytest.raises(KeyError, match="no service named 'complaints'"):
        service_spec("complaints")


def test_the_grpc_address_is_the_services_own_setting():
    spec = service_spec("customer")
    assert spec.grpc_address(CustomerSettings(customer_grpc="0.0.0.0:6000")) == "0.0.0.0:6000"


def test_processes_follow_what_each_spec_declares(tmp_path):
    full = ServiceSpec(name="billing", settings=Settings, migrations=tmp_path, grpc="m:register",
                       workers=("m:BillingWorker",))
    quiet = ServiceSpec(name="analytics", settings=Settings, migrations=tmp_path, publishes=False)
    procs = processes((full, quiet))
    assert list(procs) == ["billing-grpc", "billing-worker", "billing-relay", "gateway"]
    assert procs["billing-grpc"][1:] == ["-m", "services.common.grpc_main", "billing"]
    assert procs["billing-worker"][1:] == ["-m", "services.common.worker", "billing"]
    assert procs["billing-relay"][1:] == ["-m", "services.common.relay", "billing"]


def test_make_run_starts_every_registered_service():
    procs = processes(SERVICES)
    assert {"customer-grpc", "customer-worker", "customer-relay", "gateway"} <= set(procs)


def test_shared_settings_hold_only_what_every_service_needs():
    shared = set(Settings.model_fields)
    assert shared == {"mode", "db_url", "db_service_password", "db_pool_max", "amqp_uri", "log_level", "metrics_port"}
    assert {"legacy_cms_url", "legacy_sms_url", "demo_households", "legacy_sync_seconds",
            "customer_grpc"} <= set(CustomerSettings.model_fields)
    assert {"jwt_secret", "jwt_ttl_minutes", "gateway_host", "gateway_port",
            "customer_grpc"} <= set(GatewaySettings.model_fields)


def test_a_setting_the_class_lacks_is_an_error_not_ignored():
    with pytest.raises(pydantic.ValidationError):
        Settings(legacy_cms_url="postgresql://elsewhere/legacy_cms")


def test_a_service_reads_its_own_variables(monkeypatch):
    monkeypatch.setenv("BSS_LEGACY_SYNC_SECONDS", "2.5")
    monkeypatch.setenv("BSS_JWT_TTL_MINUTES", "5")
    assert CustomerSettings().legacy_sync_seconds == 2.5
    assert GatewaySettings().jwt_ttl_minutes == 5
    assert not hasattr(CustomerSettings(), "jwt_ttl_minutes")


def test_production_refuses_the_development_service_password_everywhere():
    for cls in (Settings, CustomerSettings):
        with pytest.raises(pydantic.ValidationError, match="BSS_DB_SERVICE_PASSWORD"):
            cls(mode="production", db_service_password=DEV_SERVICE_PASSWORD)
    with pytest.raises(pydantic.ValidationError, match="BSS_DB_SERVICE_PASSWORD"):
        GatewaySettings(mode="production", db_service_password=DEV_SERVICE_PASSWORD, jwt_secret="k" * 40)
    assert CustomerSettings(mode="production", db_service_password=REAL_PASSWORD).mode == "production"


def test_production_refuses_the_development_jwt_secret_at_the_gateway():
    with pytest.raises(pydantic.ValidationError, match="BSS_JWT_SECRET"):
        GatewaySettings(mode="production", db_service_password=REAL_PASSWORD, jwt_secret=DEV_JWT_SECRET)
    assert GatewaySettings(mode="production", db_service_password=REAL_PASSWORD,
                           jwt_secret="k" * 40).mode == "production"


def test_the_grpc_entry_point_names_the_services_it_knows():
    with pytest.raises(SystemExit, match="customer|billing"):
        grpc_main(["complaints"])
