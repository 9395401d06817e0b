"""docker-compose.yml and deploy/k8s run the processes deploy/suite.py runs, with the same commands, and
give every process that serves a real health check; and how `make compose-check` reads containers and
what the customer worker did with billing's requests."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from deploy.compose_check import ACTIONS, ALREADY_HANDLED, RESTORATION, SUSPENSION, Tour, billing_request
from deploy.compose_project import container_problem, scalable_services
from deploy.suite import PROCESSES
from services.customer.billing_requests import command
from services.customer.subscriptions import BILLING

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
SETUP = ["python", "-m", "deploy.suite", "setup"]
DEMO = ["python", "-m", "deploy.suite", "demo"]


def compose_services() -> dict[str, dict]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def k8s_workloads(kind: str) -> dict[str, dict]:
    """name -> the first container of every workload of that kind."""
    found = {}
    for path in K8S.glob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc["kind"] == kind:
                found[doc["metadata"]["name"]] = doc["spec"]["template"]["spec"]["containers"][0]
    return found


def suite_commands() -> dict[str, list[str]]:
    return {name: ["python", *cmd[1:]] for name, cmd in PROCESSES.items()}  # cmd[0] is sys.executable


def test_compose_runs_every_suite_process_with_its_command():
    long_running = {name: svc["command"] for name, svc in compose_services().items()
                    if "build" in svc and svc.get("restart") != "no"}
    assert long_running == suite_commands()


def test_k8s_deploys_every_suite_process_with_its_command():
    assert {name: c["command"] for name, c in k8s_workloads("Deployment").items()} == suite_commands()


def test_compose_and_k8s_run_the_same_one_shot_setup_and_demo():
    one_shot = [svc["command"] for svc in compose_services().values() if svc.get("restart") == "no"]
    assert sorted(one_shot) == sorted([SETUP, DEMO])
    assert sorted(c["command"] for c in k8s_workloads("Job").values()) == sorted([SETUP, DEMO])


def test_the_demo_job_waits_for_every_grpc_server():
    waits_for = set(compose_services()["demo"]["depends_on"])
    assert waits_for == {name for name in PROCESSES if name.endswith("-grpc")}


def test_every_serving_process_has_a_health_check_in_both():
    serving = {name for name, c in k8s_workloads("Deployment").items() if c.get("ports")}
    assert serving, "the gateway and the gRPC servers serve"
    for name in serving:
        assert "readinessProbe" in k8s_workloads("Deployment")[name], name
        assert "healthcheck" in compose_services()[name], name


def test_kustomization_lists_every_manifest():
    listed = yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]
    assert sorted(listed) == sorted(p.name for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


def test_scalable_services_are_the_suite_processes_without_a_published_port():
    config = {"services": {
        "postgres": {"image": "postgres:15", "ports": ["5432:5432"]},
        "migrate": {"build": {}, "restart": "no"},
        "worker": {"build": {}, "restart": "unless-stopped"},
        "grpc": {"build": {}, "restart": "unless-stopped"},
        "gateway": {"build": {}, "restart": "unless-stopped", "ports": ["127.0.0.1:0:8080"]},
    }}
    assert scalable_services(config) == ["grpc", "worker"]


def container(status="running", health=None, exit_code=0, restarts=0, policy="unless-stopped") -> dict:
    state = {"Status": status, "ExitCode": exit_code}
    if health:
        state["Health"] = {"Status": health}
    return {"State": state, "RestartCount": restarts, "HostConfig": {"RestartPolicy": {"Name": policy}}}


@pytest.mark.parametrize("c, problem", [
    (container(health="healthy"), None),
    (container(), None),  # no health check: running is all it can say
    (container(health="starting"), "starting"),
    (container(health="unhealthy"), "unhealthy"),
    (container(health="healthy", restarts=1), "restarted 1 time(s)"),
    (container(status="exited", exit_code=1), "exited"),
    (container(status="exited", policy="no"), None),
    (container(status="exited", exit_code=3, policy="no"), "exited 3"),
    (container(status="running", policy="no"), "still running"),
])
def test_container_problem(c, problem):
    assert container_problem(c) == problem


@pytest.mark.parametrize("event_type", [SUSPENSION, RESTORATION])
def test_the_tours_billing_request_is_what_the_customer_worker_consumes(event_type):
    event = billing_request(event_type, "C10000001", "S30000001")
    assert (event["source"], event["type"] in BILLING.event_types) == (BILLING.source, True)
    cmd = command(event, ACTIONS[event_type])
    assert (cmd.customer_no, cmd.service_no, cmd.action) == ("C10000001", "S30000001", ACTIONS[event_type])
    assert event["data"]["requestId"] in cmd.reason


class ProjectAnswering:
    """Stands in for the compose project: every compose command and query answers `out`."""

    def __init__(self, out: str):
        self.out = out

    def compose(self, *args, **kwargs) -> str:
        return self.out

    def sql(self, database: str, statement: str, **params: str) -> str:
        return self.out


def tour(out: str) -> Tour:
    env = {"BSS_LEGACY_CMS_URL": "postgresql://pg/legacy_cms", "BSS_DB_URL": "postgresql://pg/bss",
           "BSS_AMQP_URI": "amqp://guest:guest@rabbitmq:5672/"}
    return Tour(ProjectAnswering(out), {"services": {"migrate": {"environment": env}}})


def test_the_tour_counts_republished_events_each_worker_replica_logged_as_already_handled():
    logs = "\n".join([
        json.dumps({"msg": ALREADY_HANDLED, "eventId": "e1"}),
        json.dumps({"msg": ALREADY_HANDLED, "eventId": "e1"}),
        json.dumps({"msg": "billing request carried out", "eventId": "e2"}),
        json.dumps({"msg": ALREADY_HANDLED, "eventId": "not-ours"}),
        "Traceback (most recent call last):", "42",
    ])
    assert tour(logs).handled_again({"e1", "e2"}) == {"e1": 2}


def test_the_tour_counts_billings_write_backs_and_audit_rows_by_reason():
    rows = "write_back|billing request R1: late|fee\naudit_log|billing request R1: late|fee\nwrite_back|billing"
    assert tour(rows).carried_out("S30000001") == {("write_back", "billing request R1: late|fee"): 1,
                                                   ("audit_log", "billing request R1: late|fee"): 1,
                                                   ("write_back", "billing"): 1}


def test_every_long_running_process_serves_metrics_in_both():
    assert yaml.safe_load((ROOT / "docker-compose.yml").read_text())["x-bss-env"]["BSS_METRICS_PORT"] == "9100"
    config = next(doc for doc in yaml.safe_load_all((K8S / "config.yaml").read_text()) if doc["kind"] == "ConfigMap")
    port = config["data"]["BSS_METRICS_PORT"]
    for path in K8S.glob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc["kind"] == "Deployment":
                annotations = doc["spec"]["template"]["metadata"].get("annotations", {})
                assert annotations == {"prometheus.io/scrape": "true", "prometheus.io/port": port}, path.name
