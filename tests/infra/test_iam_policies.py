"""Least privilege, checked against the code: each function's hand-written policy grants
exactly the AWS actions its code can call, on named resources.

How the calls are found (ast, no imports): a boto3 client is reached through
  * `boto_client("svc")`, directly or via a local name assigned from it (wiring.py),
  * an attribute or name listed in CLIENT_NAMES (clients injected into classes/functions).
A call `<client>.<method>(...)` is an operation of that service (botocore's own model
names it); `get_paginator("op")` and `generate_presigned_url("op")` count as `op`;
`transact_write_items` counts as the item actions its code builds (the storage steps
`Put(...)`, `Change(...)`, `Delete(...)`). A function's code is the static import closure
of its entry module (app.py for the API); imports under `if TYPE_CHECKING:` are not code.
"""
from __future__ import annotations

import ast
import json
import re
from functools import lru_cache
from pathlib import Path

import botocore.session
import pytest

ROOT = Path(__file__).resolve().parents[2]

# Names (attributes like self._db, or parameters/locals) that hold an injected client.
CLIENT_NAMES = {"_db": "dynamodb", "_ses": "sesv2", "s3": "s3", "s3_client": "s3",
                "_s3": "s3", "ssm": "ssm", "kms": "kms", "_sqs": "sqs"}
# Any receiver whose name looks like a client must be listed above, so none is missed.
CLIENT_LIKE = re.compile(r"(^|_)(client|db|s3|ses|sesv2|ssm|kms|sqs|sns|scheduler|dynamodb)$")

IAM_PREFIX = {"dynamodb": "dynamodb", "sesv2": "ses", "ses": "ses", "ssm": "ssm", "s3": "s3",
              "kms": "kms",
              "scheduler": "scheduler", "events": "events", "sqs": "sqs", "sns": "sns"}
# Operations whose IAM action is not prefix:OperationName.
SPECIAL_ACTIONS = {
    ("s3", "list_objects_v2"): {"s3:ListBucket"},
    ("s3", "list_objects"): {"s3:ListBucket"},
    ("s3", "head_object"): {"s3:GetObject"},
    ("s3", "create_multipart_upload"): {"s3:PutObject"},
    ("s3", "upload_part"): {"s3:PutObject"},
    ("s3", "complete_multipart_upload"): {"s3:PutObject"},
    ("s3", "upload_fileobj"): {"s3:PutObject"},
    ("s3", "upload_file"): {"s3:PutObject"},
    ("s3", "download_fileobj"): {"s3:GetObject"},
    ("s3", "download_file"): {"s3:GetObject"},
    ("dynamodb", "transact_get_items"): {"dynamodb:GetItem"},
}
TRANSACT_PARTS = {"Put": "dynamodb:PutItem", "Change": "dynamodb:UpdateItem",
                  "Delete": "dynamodb:DeleteItem"}
# Granted for the Lambda runtime itself, not the code: writing to the function's own log group.
RUNTIME_ACTIONS = {"logs:CreateLogStream", "logs:PutLogEvents"}
# Granted for Lambda's event source mapping, which reads the stream and sends a batch that
# failed every retry to the dead-letter queue with the function's role: not the code's calls.
EVENT_SOURCE_ACTIONS = {"mail_worker": {"dynamodb:DescribeStream", "dynamodb:GetRecords",
                                        "dynamodb:GetShardIterator", "dynamodb:ListStreams",
                                        "sqs:SendMessage"}}

# Each function: its policy file (as .chalice/config.json names it) and its entry module.
# A scheduled function added to app.py gets its own entry here (and its own policy file);
# `exclude` lists modules its handler never calls, with the reason.
# wiring.build constructs every public use case; the scheduled functions and the authorizer
# call none of these (their transactions and their mail are the API's).
BUILT_NOT_CALLED = {"signing": "built by wiring.build; its sign-on transactions are the API's",
                    "transitions": "built by wiring.build; moves are the API's",
                    "mail": "constructs SesMailer, never sends",
                    "seal": "built by wiring.build for signing; only the API's sign-ons and "
                            "letter saves seal (and make a letter's key)"}
# The letters' private keys (chalicelib/sealing): Services.unsealer and Services.shredder are
# built on first use, by the functions named in OPENERS/SHREDDERS alone
# (test_only_the_listed_modules_open_or_shred_addresses keeps that true).
NOT_OPENING = {"unseal": "Services.unsealer: only the mail worker and the job worker (exports "
                          "with emails) open addresses"}
NOT_SHREDDING = {"shred": "Services.shredder: only the job worker destroys keys (at the end "
                          "of a letter's anonymisation job)"}
RETENTION_NOT_CALLED = {"retention": "Services.retention is built on first use; only "
                                      "the retention function uses it"}
MAIL_WORKER_NOT_CALLED = {"mail_worker": "Services.mail_worker is built on first use; only "
                                          "the mail_worker function uses it"}
# Services.jobs is built on first use: the API and the retention function start jobs
# (dispatch: SQS), only the job worker runs them (work).
JOBS_NOT_CALLED = {"runner": "Services.jobs is built on first use; this function starts no job",
                   "dispatch": "the job queue: only the API, retention and the job worker send",
                   "work": "the job worker's own code"}
DELIVERY_NOT_CALLED = {"deliveries": "Services.deliveries is built on first use; only the "
                                      "API's delivery routes use it",
                       "ses_events": "Services.ses_events is built on first use; only the "
                                     "ses_events function uses it"}
# Updates to signers (chalicelib/updates/): the job worker's fan-out queues their mails, the
# update_mailer function alone sends them.
UPDATES_NOT_CALLED = {"mail_queue": "the update queue: only the job worker's fan-out sends",
                      "mailer": "Services.update_mailer: the update_mailer function's own code"}
FUNCTIONS = {
    # app.py holds every handler; the API function runs the routes, which queue signers' mail
    # (the table's stream) and send one kind themselves: a delivery of the letter (SES).
    "api_handler": {"policy": "policy-api.json", "entry": ["app.py"],
                    "exclude": {"mail_worker": "the mail_worker function's own code",
                                "ses_events": "the ses_events function's own code",
                                **NOT_OPENING, **NOT_SHREDDING, **UPDATES_NOT_CALLED}},
    # wiring.get() (settings, SSM) + organisers.authenticate (the store); it never signs
    # anyone up or sends mail.
    "organiser_auth": {"policy": "policy-authorizer.json",
                       "entry": ["chalicelib/wiring.py", "chalicelib/organisers.py"],
                       "exclude": {**BUILT_NOT_CALLED, **RETENTION_NOT_CALLED, **NOT_OPENING,
                                   **NOT_SHREDDING, **JOBS_NOT_CALLED,
                                   **MAIL_WORKER_NOT_CALLED, **DELIVERY_NOT_CALLED,
                                   **UPDATES_NOT_CALLED}},
    # app.nightly_snapshot: wiring.get() + snapshots.job.run_nightly, which works on
    # the store, settings, clock and the letters' cache; S3 via wiring.s3(); a large
    # letter's cut is queued (Jobs.submit: the queue), for the job worker to split.
    "nightly_snapshot": {"policy": "policy-snapshot.json",
                         "entry": ["chalicelib/wiring.py", "chalicelib/snapshots/job.py",
                                   "chalicelib/jobs/runner.py"],
                         "exclude": {**BUILT_NOT_CALLED, **RETENTION_NOT_CALLED, **NOT_OPENING,
                                     **NOT_SHREDDING, "work": JOBS_NOT_CALLED["work"],
                                     **MAIL_WORKER_NOT_CALLED, **DELIVERY_NOT_CALLED,
                                     **UPDATES_NOT_CALLED}},
    # app.mail_worker: wiring.get() + Services.mail_worker.handle, fed by the stream.
    "mail_worker": {"policy": "policy-mail.json",
                    "entry": ["chalicelib/wiring.py", "chalicelib/mail_worker.py"],
                    "exclude": {**{k: v for k, v in {**BUILT_NOT_CALLED,
                                                     **RETENTION_NOT_CALLED,
                                                     **JOBS_NOT_CALLED,
                                                     **DELIVERY_NOT_CALLED}.items()
                                   if k != "mail"}, **NOT_SHREDDING, **UPDATES_NOT_CALLED}},
    # app.retention: wiring.get() + Services.retention.run, which uses the store and
    # starts each due letter's anonymisation job (Jobs.submit: the queue, no file); the
    # job worker anonymises and destroys the keys.
    "retention": {"policy": "policy-retention.json",
                  "entry": ["chalicelib/wiring.py", "chalicelib/retention.py",
                            "chalicelib/jobs/runner.py"],
                  "exclude": {**BUILT_NOT_CALLED, **NOT_OPENING, **DELIVERY_NOT_CALLED,
                              "shred": "the job worker destroys a letter's keys, once its "
                                       "anonymisation job is done",
                              "work": JOBS_NOT_CALLED["work"],
                              "s3_objects": "Jobs.status presigns a finished export's link; "
                                            "the retention function only submits",
                              **UPDATES_NOT_CALLED}},
    # app.job_worker: wiring.get() + Services.jobs.handle, which runs exports, snapshots,
    # recounts and anonymisation (jobs/work.py), destroys an anonymised letter's keys, and
    # queues retries and a split job's parts.
    "job_worker": {"policy": "policy-jobs.json",
                   "entry": ["chalicelib/wiring.py", "chalicelib/jobs/runner.py"],
                   "exclude": {**BUILT_NOT_CALLED, **DELIVERY_NOT_CALLED,
                               "mailer": UPDATES_NOT_CALLED["mailer"]}},
    # app.reminders: wiring.get() + Services.reminders.run (reminders.py): Queries of GSI3
    # and conditional updates; it opens no address (the mail worker does) and sends nothing.
    "reminders": {"policy": "policy-reminders.json",
                  "entry": ["chalicelib/wiring.py", "chalicelib/reminders.py"],
                  "exclude": {**BUILT_NOT_CALLED, **RETENTION_NOT_CALLED, **NOT_OPENING,
                              **NOT_SHREDDING, **JOBS_NOT_CALLED, **MAIL_WORKER_NOT_CALLED,
                              **DELIVERY_NOT_CALLED, **UPDATES_NOT_CALLED}},
    # app.ses_events: wiring.get() + Services.ses_events (delivery/ses_events.py), fed by SNS.
    "ses_events": {"policy": "policy-ses-events.json",
                   "entry": ["chalicelib/wiring.py", "chalicelib/delivery/ses_events.py"],
                   "exclude": {**BUILT_NOT_CALLED, **RETENTION_NOT_CALLED, **NOT_OPENING,
                               **NOT_SHREDDING, **JOBS_NOT_CALLED, **MAIL_WORKER_NOT_CALLED,
                               "deliveries": DELIVERY_NOT_CALLED["deliveries"],
                               **UPDATES_NOT_CALLED}},
    # app.update_mailer: wiring.get() + Services.update_mailer (updates/mailer.py), fed by the
    # update queue; it sends through the mail worker's pace and opens addresses as it does.
    "update_mailer": {"policy": "policy-update-mail.json",
                      "entry": ["chalicelib/wiring.py", "chalicelib/updates/mailer.py",
                                "chalicelib/mail_worker.py"],
                      "exclude": {**{k: v for k, v in {**BUILT_NOT_CALLED,
                                                       **RETENTION_NOT_CALLED,
                                                       **JOBS_NOT_CALLED,
                                                       **DELIVERY_NOT_CALLED}.items()
                                     if k != "mail"}, **NOT_SHREDDING,
                                  "mail_queue": UPDATES_NOT_CALLED["mail_queue"]}},
}


@lru_cache(maxsize=None)
def operations(service: str) -> dict[str, str]:
    """python method name → operation name, from botocore's bundled model (offline)."""
    from botocore import xform_name
    model = botocore.session.get_session().get_service_model(service)
    return {xform_name(op): op for op in model.operation_names}


def module_path(name: str) -> Path:
    """The file of a module or package (its __init__.py); may not exist (a name in a module)."""
    base = ROOT / name.replace(".", "/")
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def _type_checking_only(tree: ast.AST) -> set[int]:
    """ids of the import nodes under `if TYPE_CHECKING:` (not run, so not code)."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and \
                node.test.id == "TYPE_CHECKING":
            skip |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return skip


def import_closure(entries: list[str], exclude: set[str]) -> set[Path]:
    """Files of chalicelib reachable by imports from `entries` (plus the entries)."""
    seen: set[Path] = set()
    todo = [ROOT / e for e in entries]
    while todo:
        path = todo.pop()
        if path in seen or not path.exists() or path.stem in exclude or \
                (path.name == "__init__.py" and path.parent.name in exclude):
            continue
        seen.add(path)
        tree = ast.parse(path.read_text())
        skip = _type_checking_only(tree)
        package = path.parent.relative_to(ROOT).parts
        for node in ast.walk(tree):
            names: list[str] = []
            if id(node) in skip:
                continue
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = ".".join(package[:len(package) - node.level + 1])
                    base = parent + ("." + base if base else "")
                names = [base] + [f"{base}.{a.name}" for a in node.names]
            for n in names:
                if n.startswith("chalicelib") and module_path(n).exists():
                    todo.append(module_path(n))
    return seen


def _receiver_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def _boto_client_service(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call) and _receiver_name(node.func) == "boto_client" and \
            node.args and isinstance(node.args[0], ast.Constant):
        return node.args[0].value
    return None


def calls_in(path: Path) -> tuple[set[tuple[str, str]], set[str], list[str]]:
    """(service, method) pairs called, transaction item kinds built, unmapped client names."""
    tree = ast.parse(path.read_text())
    local_clients = dict(CLIENT_NAMES)
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and (svc := _boto_client_service(node.value)):
            for t in node.targets:
                if (n := _receiver_name(t)):
                    local_clients[n] = svc
    found: set[tuple[str, str]] = set()
    parts: set[str] = set()
    unmapped: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id in TRANSACT_PARTS:
            parts.add(node.func.id)
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        recv, method = node.func.value, node.func.attr
        svc = _boto_client_service(recv) or local_clients.get(_receiver_name(recv) or "")
        if svc is None:
            name = _receiver_name(recv) or ""
            if CLIENT_LIKE.search(name) and not method.startswith("__"):
                unmapped.append(f"{path.name}: {name}.{method}")
            continue
        if method in ("get_paginator", "generate_presigned_url", "can_paginate") and node.args \
                and isinstance(node.args[0], ast.Constant):
            if method == "can_paginate":
                continue
            method = node.args[0].value
        found.add((svc, method))
    return found, parts, unmapped


def actions_for(files: set[Path]) -> set[str]:
    actions: set[str] = set()
    all_parts: set[str] = set()
    calls: set[tuple[str, str]] = set()
    for f in files:
        c, parts, unmapped = calls_in(f)
        assert not unmapped, f"a client this test does not know: add it to CLIENT_NAMES: {unmapped}"
        calls |= c
        all_parts |= parts
    for svc, method in calls:
        if (svc, method) in SPECIAL_ACTIONS:
            actions |= SPECIAL_ACTIONS[(svc, method)]
        elif (svc, method) == ("dynamodb", "transact_write_items"):
            # Only the item actions reachable code builds (none: no transaction is made).
            actions |= {TRANSACT_PARTS[p] for p in all_parts}
        else:
            ops = operations(svc)
            assert method in ops, f"{svc}.{method} is not a {svc} operation"
            actions.add(f"{IAM_PREFIX[svc]}:{ops[method]}")
    return actions


def policy_actions(policy: dict) -> set[str]:
    out: set[str] = set()
    for st in policy["Statement"]:
        assert st["Effect"] == "Allow"
        out |= set(st["Action"] if isinstance(st["Action"], list) else [st["Action"]])
    return out


def load_policy(name: str) -> dict:
    return json.loads((ROOT / ".chalice" / name).read_text())


def test_scanner_sees_the_known_calls():
    """Guards the scanner itself: the calls we know the API makes are found."""
    files = import_closure(["app.py"], set())
    assert ROOT / "chalicelib" / "storage" / "dynamodb.py" in files
    assert ROOT / "chalicelib" / "mail.py" in files
    actions = actions_for(files)
    assert {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query",
            "dynamodb:BatchGetItem", "ses:SendEmail", "ssm:GetParameter"} <= actions


def test_every_function_has_a_declared_policy(package):
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    prod = config["stages"]["prod"]
    declared = prod.get("lambda_functions", {})
    assert set(declared) == set(FUNCTIONS)
    for name, spec in FUNCTIONS.items():
        assert declared[name]["iam_policy_file"] == spec["policy"]
    functions = package.resources("AWS::Serverless::Function")
    assert len(functions) == len(FUNCTIONS), sorted(functions)
    roles = package.resources("AWS::IAM::Role")
    packaged = [r["Properties"]["Policies"][0]["PolicyDocument"] for r in roles.values()
                if "lambda.amazonaws.com" in json.dumps(r["Properties"]["AssumeRolePolicyDocument"])]
    for spec in FUNCTIONS.values():
        assert load_policy(spec["policy"]) in packaged


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_policy_grants_exactly_what_the_code_calls(function):
    spec = FUNCTIONS[function]
    needed = actions_for(import_closure(spec["entry"], set(spec["exclude"])))
    granted = policy_actions(load_policy(spec["policy"])) - RUNTIME_ACTIONS - \
        EVENT_SOURCE_ACTIONS.get(function, set())
    assert not granted - needed, f"{function}: granted but never called: {sorted(granted - needed)}"
    assert not needed - granted, f"{function}: called but not granted: {sorted(needed - granted)}"


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_policy_resources_are_named(function):
    """Each statement names its resources: the table (and its indexes), the identity, the
    parameter, the function's own log group. Writes never reach an index."""
    policy = load_policy(FUNCTIONS[function]["policy"])
    for st in policy["Statement"]:
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
        prefixes = {a.split(":")[0] for a in actions}
        assert len(prefixes) == 1, st
        text = json.dumps(resources)
        assert '"*"' not in text, st
        prefix = prefixes.pop()
        if prefix == "dynamodb":
            assert all("Table" in json.dumps(r) for r in resources), st
            if set(actions) & {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}:
                assert "/index/" not in text, st
        elif prefix == "ses":
            assert ":identity/${SesIdentity}" in text, st
        elif prefix == "ssm" and "letter-keys" in text:
            # The letters' wrapped keys: this stack's own path, nothing else.
            assert all(r["Fn::Sub"].endswith(("/${AWS::StackName}/letter-keys",
                                              "/${AWS::StackName}/letter-keys/*"))
                       for r in resources), st
        elif prefix == "kms":
            assert resources == [{"Fn::GetAtt": ["SignerDataKey", "Arn"]}], st
            assert st["Condition"]["ForAllValues:StringEquals"][
                "kms:EncryptionContextKeys"] == ["letter", "kid"], st
        elif prefix == "ssm":
            assert ":parameter${EmailHashKeyParam}" in text, st
            # Only the named secrets (the optional Turnstile one only when it is set).
            assert set(re.findall(r":parameter\$\{(\w+)\}", text)) <= \
                {"EmailHashKeyParam", "TurnstileSecretParam"}, st
            if "TurnstileSecretParam" in text:
                assert '"Fn::If": ["HasTurnstileSecret"' in text, st
        elif prefix == "sqs":  # the job queue, the update queue, the mail worker's dead letters
            assert resources in ([{"Fn::GetAtt": ["JobQueue", "Arn"]}],
                                 [{"Fn::GetAtt": ["UpdateQueue", "Arn"]}],
                                 [{"Fn::GetAtt": ["MailDeadLetterQueue", "Arn"]}]), st
        elif prefix == "logs":
            assert "log-group:/aws/lambda/${AWS::StackName}-" in text, st
        elif prefix == "s3":
            assert "ExportsBucket" in text, st
            for r in resources:
                rtext = json.dumps(r)
                if set(actions) == {"s3:ListBucket"}:  # a bucket action: the bucket itself
                    assert r == {"Fn::GetAtt": ["ExportsBucket", "Arn"]}, st
                else:  # object actions: snapshots and exports only, never the whole bucket
                    assert re.fullmatch(r'\{"Fn::Sub": "\$\{ExportsBucket\.Arn\}/'
                                        r'(letters|exports)/\*"\}', rtext), st


# Where the powers to open and to shred are used: (module, the function whose code it is).
OPENERS = {"chalicelib/wiring.py": "defines Services.unsealer (built on first use)",
           "chalicelib/mail_worker.py": "mail_worker: opens an address to send its mail",
           "chalicelib/jobs/work.py": "job_worker: an export with emails opens them"}
SHREDDERS = {"chalicelib/wiring.py": "defines Services.shredder (built on first use)",
             "chalicelib/retention.py": "Retention.letter_anonymised (run by the job worker at "
                                        "the end of a letter's anonymisation job) destroys its keys"}


def _uses(path: Path, attribute: str, cls: str) -> bool:
    """Whether a module reaches the power: `Services.<attribute>` (an attribute access) or its
    class by name. A parameter of that name (an export writer handed the power by its
    caller) is not reaching it."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and node.attr == attribute:
            return True
        if isinstance(node, ast.Name) and node.id == cls:
            return True
    return False


def _importers(module: str) -> set[str]:
    out = set()
    for path in [ROOT / "app.py", *sorted((ROOT / "chalicelib").rglob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").endswith(module):
                out.add(str(path.relative_to(ROOT)))
    return out


def test_only_the_listed_modules_open_or_shred_addresses():
    """What makes the excludes above true: no route (app.py) and no other module reaches
    Services.unsealer or Services.shredder, or imports their modules."""
    files = [ROOT / "app.py", *sorted((ROOT / "chalicelib").rglob("*.py"))]
    rel = lambda p: str(p.relative_to(ROOT))  # noqa: E731
    opening = {rel(p) for p in files if _uses(p, "unsealer", "Unsealer")}
    shredding = {rel(p) for p in files if _uses(p, "shredder", "Shredder")}
    sealing = ROOT / "chalicelib" / "sealing"
    assert opening - {rel(p) for p in sealing.glob("*.py")} == set(OPENERS)
    assert shredding - {rel(p) for p in sealing.glob("*.py")} == set(SHREDDERS)
    assert _importers("sealing.unseal") - {rel(p) for p in sealing.glob("*.py")} <= set(OPENERS)
    assert _importers("sealing.shred") <= set(SHREDDERS)


def key_actions(policy: dict) -> set[str]:
    """The actions a policy grants on the letters' keys: the KMS key or their parameters."""
    out: set[str] = set()
    for st in policy["Statement"]:
        if any(name in json.dumps(st["Resource"]) for name in ("SignerDataKey", "letter-keys")):
            out |= set(st["Action"])
    return out


def test_only_the_mail_and_job_workers_can_decrypt_and_only_the_api_makes_letter_keys():
    """The matrix of docs/PRIVACY.md: each function × what it may do with letters' keys."""
    matrix = {name: key_actions(load_policy(spec["policy"])) for name, spec in FUNCTIONS.items()}
    assert matrix == {"api_handler": {"kms:Encrypt", "ssm:PutParameter"},
                      "organiser_auth": set(), "nightly_snapshot": set(), "ses_events": set(),
                      "reminders": set(),  # the mail worker opens the address
                      "mail_worker": {"kms:Decrypt", "ssm:GetParameter"},
                      "update_mailer": {"kms:Decrypt", "ssm:GetParameter"},  # mails updates
                      "retention": set(),  # it starts the anonymisation job; the worker shreds
                      "job_worker": {"kms:Decrypt", "ssm:GetParameter",  # exports with emails
                                     "ssm:GetParametersByPath", "ssm:DeleteParameters"}}
