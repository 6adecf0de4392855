"""The deployable template (chalice package + infra/resources.yaml), checked offline."""
from __future__ import annotations

import inspect
import json
import sys
from pathlib import Path
import re
import subprocess

import pytest

from chalicelib import errors
from chalicelib.settings import Settings, packaging_setting
from chalicelib.storage.keys import table_definition

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

# cfn-lint findings we accept, each with its reason. Empty: the template lints clean.
CFN_LINT_IGNORED: dict[str, str] = {}

# Actions AWS only authorises on Resource "*" (none used today; e.g. xray:PutTraceSegments).
STAR_RESOURCE_ACTIONS: set[str] = set()

FORBIDDEN_IN_ZIP = ("tests/", "frontend/", "infra/", "bench/", "tools/", "letters/", "docs/",
                    ".chalice/", ".local/", "node_modules/", "boto3/", "botocore/")
API_ORIGIN = {"Fn::Sub": "${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
# Pages other sites may frame (tools/serve.py's FRAMEABLE): their own headers policy.
FRAMEABLE = {"/embed.html": "EmbedHeadersPolicy"}
# Every function: fixed name suffix (its log group and its policy's log permission use it).
FUNCTION_NAMES = {"APIHandler": "api", "OrganiserAuth": "auth", "JobWorker": "jobs",
                  "NightlySnapshot": "snapshot", "Retention": "retention", "MailWorker": "mail",
                  "SesEvents": "ses-events", "Reminders": "reminders", "UpdateMailer": "updates"}
SCHEDULED = {"NightlySnapshot": "snapshot_hour_utc", "Retention": "retention_hour_utc"}


def test_cfn_lint_reports_nothing(package):
    proc = subprocess.run([str(BIN / "cfn-lint"), "--format", "parseable", "--regions",
                           "eu-west-1", "us-east-1", "--", str(package.dir / "sam.yaml")],
                          capture_output=True, text=True, timeout=120)
    findings = [line for line in proc.stdout.splitlines() if line.strip()]
    unexpected = [f for f in findings if f.split(":")[5] not in CFN_LINT_IGNORED] \
        if findings else []
    assert not unexpected, "\n".join(unexpected) + proc.stderr
    assert proc.returncode == 0 or findings, proc.stderr


# ---- data ----------------------------------------------------------------------

def test_table_matches_the_store(package):
    want = table_definition("ignored")
    del want["TableName"]  # CloudFormation names it; the function gets it as TABLE_NAME
    # CloudFormation's stream has no StreamEnabled: a view type is an enabled stream.
    want["StreamSpecification"] = {"StreamViewType": want["StreamSpecification"]["StreamViewType"]}
    props = package.props("Table")
    assert {k: props.get(k) for k in want} == want


def test_table_is_protected(package):
    table = package.template["Resources"]["Table"]
    props = table["Properties"]
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["DeletionProtectionEnabled"] is True
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"


@pytest.mark.parametrize("bucket", ["ExportsBucket", "PageBucket"])
def test_buckets_are_private_versioned_encrypted_tls_only(package, bucket):
    res = package.template["Resources"][bucket]
    props = res["Properties"]
    assert res["DeletionPolicy"] == "Retain"
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True,
        "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    sse = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    policies = [p for p in package.resources("AWS::S3::BucketPolicy").values()
                if p["Properties"]["Bucket"] == {"Ref": bucket}]
    assert len(policies) == 1
    denies = [s for s in policies[0]["Properties"]["PolicyDocument"]["Statement"]
              if s["Effect"] == "Deny" and s.get("Condition") == {
                  "Bool": {"aws:SecureTransport": "false"}}]
    assert denies and denies[0]["Principal"] == "*" and denies[0]["Action"] == "s3:*"
    assert {"Fn::Sub": "${%s.Arn}/*" % bucket} in denies[0]["Resource"]


def test_exports_bucket_expires_noncurrent_versions_per_parameter(package):
    rules = package.props("ExportsBucket")["LifecycleConfiguration"]["Rules"]
    assert any(r["Status"] == "Enabled" and r.get("NoncurrentVersionExpiration") == {
        "NoncurrentDays": {"Ref": "SnapshotNoncurrentDays"}} for r in rules)


def _bucket_wide(rule: dict) -> bool:
    return not rule.get("Prefix") and not rule.get("TagFilters") and "Filter" not in rule


def test_exports_bucket_aborts_incomplete_uploads_everywhere(package):
    rules = package.props("ExportsBucket")["LifecycleConfiguration"]["Rules"]
    assert any(r["Status"] == "Enabled" and _bucket_wide(r) and
               r.get("AbortIncompleteMultipartUpload") == {"DaysAfterInitiation": 1}
               for r in rules)


EXPORTS_RULE = "ExpireOnDemandExports"


def test_on_demand_exports_expire_after_a_day_and_snapshots_do_not(package):
    rules = {r["Id"]: r for r in package.props("ExportsBucket")["LifecycleConfiguration"]["Rules"]}
    rule = rules[EXPORTS_RULE]
    assert rule["Status"] == "Enabled" and rule["ExpirationInDays"] == 1
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}  # every version goes
    prefix = rule["Prefix"]
    assert prefix.endswith("/")
    from chalicelib.snapshots.published import latest_key, snapshot_prefix
    for kept in (snapshot_prefix("a-letter", "2025-01-01") + "manifest.json",
                 latest_key("a-letter")):
        assert not kept.startswith(prefix), kept
    # No rule but the exports one expires current versions.
    assert [r["Id"] for r in rules.values() if "ExpirationInDays" in r or "ExpirationDate" in r] \
        == [EXPORTS_RULE]


def _key_head(module: str, function: str) -> str:
    """The constant start of the key a function returns (an f-string)."""
    import ast
    tree = ast.parse((ROOT / "chalicelib" / "exports" / module).read_text())
    fn = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == function)
    for node in ast.walk(fn):
        if isinstance(node, ast.Return) and node.value is not None:
            first = node.value.values[0] if isinstance(node.value, ast.JoinedStr) else node.value
            assert isinstance(first, ast.Constant), "the key should start with a constant prefix"
            return first.value
    raise AssertionError(f"{function} returns no key")


def test_exports_are_written_where_the_lifecycle_rule_expires_them(package):
    """The file (on_demand.export_key) and a split export's sorted runs (fanout.run_key)."""
    rules = {r["Id"]: r for r in package.props("ExportsBucket")["LifecycleConfiguration"]["Rules"]}
    for module, function in (("on_demand.py", "export_key"), ("fanout.py", "run_key")):
        assert _key_head(module, function).startswith(rules[EXPORTS_RULE]["Prefix"]), function


# ---- edge ----------------------------------------------------------------------

def _distribution(package) -> dict:
    return package.props("Distribution")["DistributionConfig"]


def test_page_bucket_is_read_only_through_origin_access_control(package):
    origins = {o["Id"]: o for o in _distribution(package)["Origins"]}
    assert origins["page"]["OriginAccessControlId"] == {
        "Fn::GetAtt": ["PageOriginAccessControl", "Id"]}
    assert origins["page"]["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    allow = [s for s in package.props("PageBucketPolicy")["PolicyDocument"]["Statement"]
             if s["Effect"] == "Allow"]
    assert len(allow) == 1
    assert allow[0]["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow[0]["Action"] == "s3:GetObject"
    assert "AWS:SourceArn" in allow[0]["Condition"]["StringEquals"]


def test_api_behaviours_route_to_the_api_stage(package):
    dist = _distribution(package)
    origins = {o["Id"]: o for o in dist["Origins"]}
    api = origins["api"]
    assert api["DomainName"] == API_ORIGIN
    assert not api.get("OriginPath")  # the stage is named "api": /api/x reaches the stage's /x
    assert api["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert package.props("RestAPI")["StageName"] == "api"
    behaviours = dist["CacheBehaviors"]
    paths = [b["PathPattern"] for b in behaviours]
    assert paths.index("/api/admin/*") < paths.index("/api/letters*") < paths.index("/api/*")
    for b in behaviours:
        if b["PathPattern"].startswith("/api/"):
            assert b["TargetOriginId"] == "api"
            assert "POST" in b["AllowedMethods"]
            assert b["CachedMethods"] == ["GET", "HEAD"]  # POSTs are never cached
            assert b["ViewerProtocolPolicy"] == "https-only"
    by_path = {b["PathPattern"]: b for b in behaviours}
    assert by_path["/api/admin/*"]["CachePolicyId"] == CACHING_DISABLED
    assert by_path["/api/*"]["CachePolicyId"] == CACHING_DISABLED
    assert by_path["/api/letters*"]["CachePolicyId"] == {"Ref": "ApiPublicReadCachePolicy"}


def test_public_reads_are_cached_briefly_and_only_by_the_origins_word(package):
    config = package.props("ApiPublicReadCachePolicy")["CachePolicyConfig"]
    # DefaultTTL 0: a response without Cache-Control (or with no-store) is not cached;
    # the API's s-maxage=10 is honoured up to MaxTTL.
    assert config["MinTTL"] == 0 and config["DefaultTTL"] == 0 and 10 <= config["MaxTTL"] <= 60
    keys = config["ParametersInCacheKeyAndForwardedToOrigin"]
    assert keys["CookiesConfig"] == {"CookieBehavior": "none"}
    assert keys["HeadersConfig"] == {"HeaderBehavior": "none"}
    # every query string as sent: a percent-encoded name the origin decodes (`%6Cimit`)
    # gets its own entry instead of replacing the plain page (app.PUBLIC_QUERY refuses it)
    assert keys["QueryStringsConfig"] == {"QueryStringBehavior": "all"}


def headers_from_policy(config: dict) -> dict[str, str]:
    """The headers a ResponseHeadersPolicyConfig adds, as name → value."""
    sec = config["SecurityHeadersConfig"]
    out = {}
    if "ContentSecurityPolicy" in sec:
        out["Content-Security-Policy"] = sec["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    if "StrictTransportSecurity" in sec:
        hsts = sec["StrictTransportSecurity"]
        value = f"max-age={hsts['AccessControlMaxAgeSec']}"
        value += "; includeSubDomains" if hsts.get("IncludeSubdomains") else ""
        value += "; preload" if hsts.get("Preload") else ""
        out["Strict-Transport-Security"] = value
    if "ContentTypeOptions" in sec:
        out["X-Content-Type-Options"] = "nosniff"
    if "FrameOptions" in sec:
        out["X-Frame-Options"] = sec["FrameOptions"]["FrameOption"]
    if "ReferrerPolicy" in sec:
        out["Referrer-Policy"] = sec["ReferrerPolicy"]["ReferrerPolicy"]
    for item in config.get("CustomHeadersConfig", {}).get("Items", []):
        out[item["Header"]] = item["Value"]
    overrides = [v.get("Override") for v in sec.values()] + [
        i.get("Override") for i in config.get("CustomHeadersConfig", {}).get("Items", [])]
    assert all(overrides), "every security header must override the origin's"
    return out


def test_security_headers_are_exactly_infra_security_headers_json(package):
    from tools.serve import security_headers
    want = json.loads((ROOT / "infra" / "security-headers.json").read_text())
    config = package.props("SecurityHeadersPolicy")["ResponseHeadersPolicyConfig"]
    got = headers_from_policy(config)
    # The CSP depends on the Turnstile site key: Turnstile's script and frame only with one.
    csp = "Content-Security-Policy"
    assert got.pop(csp) == {"Fn::If": ["HasTurnstileSiteKey", security_headers(True)[csp],
                                       security_headers(False)[csp]]}
    assert security_headers(False)[csp] == want.pop(csp)
    assert got == want
    want = security_headers(False)
    for needed in ("Content-Security-Policy", "Strict-Transport-Security",
                   "X-Content-Type-Options", "Referrer-Policy"):
        assert needed in want
    assert "frame-ancestors 'none'" in want["Content-Security-Policy"]
    dist = _distribution(package)
    for b in [dist["DefaultCacheBehavior"], *dist["CacheBehaviors"]]:
        policy = FRAMEABLE.get(b.get("PathPattern"), "SecurityHeadersPolicy")
        assert b["ResponseHeadersPolicyId"] == {"Ref": policy}, b.get("PathPattern")


# Permissions-Policy features browsers no longer know: Chrome warns on each (FLoC's
# interest-cohort was withdrawn in 2022).
OBSOLETE_PERMISSIONS = ("interest-cohort",)


@pytest.mark.parametrize("name", ["security-headers.json", "security-headers-embed.json"])
def test_permissions_policy_names_no_obsolete_feature(package, name):
    policy = json.loads((ROOT / "infra" / name).read_text())["Permissions-Policy"]
    for config in (package.props(p)["ResponseHeadersPolicyConfig"]
                   for p in ("SecurityHeadersPolicy", "EmbedHeadersPolicy")):
        policy += headers_from_policy(config)["Permissions-Policy"]
    for feature in OBSOLETE_PERMISSIONS:
        assert feature not in policy


def test_turnstile_adds_only_its_script_and_frame_to_the_csp():
    from tools.serve import TURNSTILE_ORIGIN, security_headers

    def directives(headers):
        return {d.split()[0]: d.split()[1:] for d in
                headers["Content-Security-Policy"].split("; ")}
    off, on = directives(security_headers(False)), directives(security_headers(True))
    assert TURNSTILE_ORIGIN not in str(off) and "frame-src" not in off
    assert on.pop("script-src") == ["'self'", TURNSTILE_ORIGIN]
    assert on.pop("frame-src") == [TURNSTILE_ORIGIN]
    off.pop("script-src")
    assert on == off  # nothing else changes: no inline script, no other origin


def test_embed_headers_are_exactly_infra_security_headers_embed_json(package):
    want = json.loads((ROOT / "infra" / "security-headers-embed.json").read_text())
    config = package.props("EmbedHeadersPolicy")["ResponseHeadersPolicyConfig"]
    assert headers_from_policy(config) == want
    assert "frame-ancestors *" in want["Content-Security-Policy"]
    assert "X-Frame-Options" not in want
    for needed in ("Strict-Transport-Security", "X-Content-Type-Options", "Referrer-Policy"):
        assert needed in want
    by_path = {b["PathPattern"]: b for b in _distribution(package)["CacheBehaviors"]}
    embed = by_path["/embed.html"]
    assert embed["TargetOriginId"] == "page" and embed["AllowedMethods"] == ["GET", "HEAD"]
    assert embed["ResponseHeadersPolicyId"] == {"Ref": "EmbedHeadersPolicy"}
    # Its assets are served by the default behaviour (frame-ancestors applies to documents).
    html = (ROOT / "frontend" / "embed.html").read_text()
    for asset in re.findall(r'(?:href|src)="(/[^"]+)"', html):
        assert asset not in by_path, asset


def test_letter_addresses_serve_the_page(package):
    """/l/{slug} has no S3 key: a viewer-request function rewrites it to /index.html."""
    by_path = {b["PathPattern"]: b for b in _distribution(package)["CacheBehaviors"]}
    letter = by_path["/l/*"]
    assert letter["TargetOriginId"] == "page" and letter["AllowedMethods"] == ["GET", "HEAD"]
    assert letter["ResponseHeadersPolicyId"] == {"Ref": "SecurityHeadersPolicy"}
    assert letter["FunctionAssociations"] == [{
        "EventType": "viewer-request",
        "FunctionARN": {"Fn::GetAtt": ["LetterPathRewrite", "FunctionMetadata.FunctionARN"]}}]
    fn = package.props("LetterPathRewrite")
    assert fn["AutoPublish"] is True and fn["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert "request.uri = '/index.html'" in fn["FunctionCode"]
    assert (ROOT / "frontend" / "index.html").is_file()


def test_no_custom_error_pages_that_would_rewrite_api_errors(package):
    assert "CustomErrorResponses" not in _distribution(package)


def test_waf_is_optional_rate_based_and_only_in_us_east_1(package):
    conditions = package.template["Conditions"]
    acl = package.template["Resources"]["WebAcl"]
    assert acl["Condition"] == "CreateWaf"
    assert {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]} in \
        conditions["CreateWaf"]["Fn::And"]
    assert acl["Properties"]["Scope"] == "CLOUDFRONT"
    rules = acl["Properties"]["Rules"]
    assert any("RateBasedStatement" in r["Statement"] for r in rules)
    body = acl["Properties"]["CustomResponseBodies"]["too_many_requests"]["Content"]
    assert json.loads(body)["error"]["status"] == 429


# ---- API Gateway -----------------------------------------------------------------

def test_stage_throttling_is_set(package):
    settings = package.props("RestAPI")["MethodSettings"]
    everything = [s for s in settings if s["ResourcePath"] == "/*" and s["HttpMethod"] == "*"]
    assert everything and everything[0]["ThrottlingRateLimit"] and \
        everything[0]["ThrottlingBurstLimit"]


def test_gateway_responses_use_the_app_error_shape(package):
    codes = {c.CODE for _, c in inspect.getmembers(errors, inspect.isclass)
             if hasattr(c, "CODE")} | {"internal_error"}
    responses = package.props("RestAPI")["GatewayResponses"]
    for needed in ("DEFAULT_4XX", "DEFAULT_5XX", "MISSING_AUTHENTICATION_TOKEN", "THROTTLED",
                   "RESOURCE_NOT_FOUND", "REQUEST_TOO_LARGE", "INTEGRATION_TIMEOUT"):
        assert needed in responses
    for name, r in responses.items():
        body = json.loads(r["ResponseTemplates"]["application/json"]
                          .replace("$context.requestId", "req-1"))
        assert set(body) == {"error"}, name
        err = body["error"]
        assert err["status"] == int(r["StatusCode"]), name
        assert err["code"] in codes, name
        assert err["message"] and err["fields"] == [], name
        assert r["ResponseParameters"]["Headers"]["Cache-Control"] == "'no-store'", name
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"] == "404"
    # an authorizer whose store is unreachable: the same 503 the API function gives
    failure = responses["AUTHORIZER_FAILURE"]
    assert failure["StatusCode"] == "503" and \
        failure["ResponseParameters"]["Headers"]["Retry-After"] == "'2'"


# ---- the function ----------------------------------------------------------------

@pytest.mark.parametrize("function", sorted(FUNCTION_NAMES))
def test_functions_get_every_required_setting_and_no_secret(package, function):
    env = package.props(function)["Environment"]["Variables"]
    required = {n.upper() for n, f in Settings.model_fields.items() if f.is_required()}
    assert required - {"EMAIL_HASH_KEY"} <= set(env)
    # Secrets are read from SSM at first use, never in the template.
    assert "EMAIL_HASH_KEY" not in env and "TURNSTILE_SECRET" not in env
    assert env["STAGE"] == "prod" and env["MAIL_BACKEND"] == "ses"
    assert env["EMAIL_HASH_KEY_PARAM"] == {"Ref": "EmailHashKeyParam"}
    for name, value in env.items():
        assert not (isinstance(value, str) and "set by infra" in value), name
        setting = name[:-len("_PARAM")] if name.endswith("_PARAM") else name
        assert setting.lower() in Settings.model_fields, name  # no stray or misspelt variable


def test_turnstile_is_optional_and_only_the_api_reads_it(package):
    params = package.template["Parameters"]
    assert params["TurnstileSecretParam"]["Default"] == "" == params["TurnstileSiteKey"]["Default"]
    assert re.fullmatch(params["TurnstileSecretParam"]["AllowedPattern"], "")
    api = package.props("APIHandler")["Environment"]["Variables"]
    assert api["TURNSTILE_SECRET_PARAM"] == {"Ref": "TurnstileSecretParam"}
    assert api["TURNSTILE_SITE_KEY"] == {"Ref": "TurnstileSiteKey"}
    for other in set(FUNCTION_NAMES) - {"APIHandler"}:
        assert "TURNSTILE_SECRET_PARAM" not in package.props(other)["Environment"]["Variables"]


CONCURRENCY = {"APIHandler": ("ReserveApi", "ApiConcurrency"),
               "OrganiserAuth": ("ReserveAuth", "AuthConcurrency"),
               "NightlySnapshot": ("ReserveJobs", "JobConcurrency"),
               "Retention": ("ReserveJobs", "JobConcurrency"),
               "MailWorker": ("ReserveMail", "MailConcurrency"),
               "JobWorker": ("ReserveWorker", "WorkerConcurrency"),
               "SesEvents": ("ReserveJobs", "JobConcurrency"),
               "Reminders": ("ReserveJobs", "JobConcurrency"),
               "UpdateMailer": ("ReserveMail", "MailConcurrency")}


@pytest.mark.parametrize("function", sorted(FUNCTION_NAMES))
def test_functions_have_reserved_concurrency_by_parameter(package, function):
    """A flood on one function cannot take the account's whole concurrency (checkov CKV_AWS_115)."""
    condition, param = CONCURRENCY[function]
    assert package.props(function)["ReservedConcurrentExecutions"] == {
        "Fn::If": [condition, {"Ref": param}, {"Ref": "AWS::NoValue"}]}
    assert package.template["Conditions"][condition] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": param}, 0]}]}
    default = package.template["Parameters"][param]["Default"]
    assert 1 <= default <= 100  # room for AWS's 100 unreserved in a 1,000 quota
    users = [p for _, p in CONCURRENCY.values()]  # JobConcurrency: one per scheduled function
    total = sum(package.template["Parameters"][p]["Default"] * users.count(p) for p in set(users))
    assert total <= 900


def test_every_function_is_covered(package):
    assert set(package.resources("AWS::Serverless::Function")) == set(FUNCTION_NAMES)


@pytest.mark.parametrize("function", sorted(FUNCTION_NAMES))
def test_functions_have_a_fixed_name_and_their_own_log_group(package, function):
    res = package.template["Resources"][function]
    suffix = FUNCTION_NAMES[function]
    assert res["Properties"]["FunctionName"] == {"Fn::Sub": "${AWS::StackName}-%s" % suffix}
    groups = {name: g for name, g in package.resources("AWS::Logs::LogGroup").items()
              if g["Properties"]["LogGroupName"] ==
              {"Fn::Sub": "/aws/lambda/${AWS::StackName}-%s" % suffix}}
    assert len(groups) == 1, function
    group = next(iter(groups))
    assert res["DependsOn"] == group  # exists before the function can log (and create it)
    assert groups[group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


@pytest.mark.parametrize("function", sorted(SCHEDULED))
def test_scheduled_functions_run_daily_at_the_packaged_hour_with_room(package, function):
    props = package.props(function)
    events = [e for e in props["Events"].values() if e["Type"] == "Schedule"]
    assert len(events) == 1
    hour = packaging_setting(SCHEDULED[function])
    assert re.fullmatch(r"cron\(\d+ %d \* \* \? \*\)" % hour, events[0]["Properties"]["Schedule"])
    assert props["Timeout"] == 900  # Lambda's maximum: a run covers every letter
    if function == "NightlySnapshot":
        assert props["MemorySize"] >= 1024
        assert props["EphemeralStorage"]["Size"] >= 1024  # the files are staged in /tmp


def test_reminders_run_hourly_within_their_budget(package):
    """app.reminders stops taking entries after 240 s (what is left waits an hour)."""
    props = package.props("Reminders")
    events = [e for e in props["Events"].values() if e["Type"] == "Schedule"]
    assert [e["Properties"]["Schedule"] for e in events] == ["rate(1 hour)"]
    assert props["Timeout"] == 300


def test_ssm_parameter_name_agrees_with_chalice_config(package):
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    prod = config["stages"]["prod"]
    assert prod["api_gateway_stage"] == "api" and prod["autogen_policy"] is False
    assert prod["environment_variables"]["EMAIL_HASH_KEY_PARAM"] == \
        package.template["Parameters"]["EmailHashKeyParam"]["Default"]
    assert config["stages"]["local"]["api_gateway_stage"] == "api"


def _iam_statements(package):
    for name, res in package.resources("AWS::IAM::Role").items():
        for policy in res["Properties"].get("Policies", []):
            for st in policy["PolicyDocument"]["Statement"]:
                yield name, st
    for name, res in package.resources("AWS::IAM::Policy").items():
        for st in res["Properties"]["PolicyDocument"]["Statement"]:
            yield name, st


def test_no_iam_statement_grants_everything(package):
    statements = list(_iam_statements(package))
    assert statements
    for role, st in statements:
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
        assert st["Effect"] == "Allow"
        assert not any("*" in a for a in actions), (role, actions)
        if "*" in resources:
            assert set(actions) <= STAR_RESOURCE_ACTIONS, (role, actions)
        for r in resources:
            if isinstance(r, str):
                assert re.fullmatch(r"arn:aws:[a-z0-9-]+:[a-z0-9-]*:\d*:.+", r) or r == "*", r


def test_no_managed_policies_on_function_roles(package):
    for name, res in package.resources("AWS::IAM::Role").items():
        assert not res["Properties"].get("ManagedPolicyArns"), name


def test_scheduled_functions_have_failure_alarms(package):
    """A failed scheduled run must page someone: one Errors alarm per scheduled function."""
    functions = package.resources("AWS::Serverless::Function")
    scheduled = {name for name, fn in functions.items()
                 if any(e.get("Type") in ("Schedule", "ScheduleV2")
                        for e in fn["Properties"].get("Events", {}).values())}
    for rule in [*package.resources("AWS::Events::Rule").values(),
                 *package.resources("AWS::Scheduler::Schedule").values()]:
        targets = rule["Properties"].get("Targets") or [rule["Properties"].get("Target", {})]
        for t in targets:
            ref = json.dumps(t.get("Arn"))
            scheduled |= {name for name in functions if f'"{name}' in ref}
    alarmed = {d["Value"]["Ref"] for a in package.resources("AWS::CloudWatch::Alarm").values()
               if a["Properties"].get("MetricName") == "Errors"
               for d in a["Properties"].get("Dimensions", [])
               if d["Name"] == "FunctionName" and isinstance(d["Value"], dict)}
    assert scheduled <= alarmed, f"add an Errors alarm for {sorted(scheduled - alarmed)}"


def test_alarms_cover_5xx_and_throttles_and_notify_the_topic(package):
    alarms = package.resources("AWS::CloudWatch::Alarm")
    metrics = set()
    for a in alarms.values():
        p = a["Properties"]
        assert p["AlarmActions"] == [{"Ref": "AlarmTopic"}]
        metrics.add(p.get("MetricName"))
        metrics |= {m["MetricStat"]["Metric"]["MetricName"] for m in p.get("Metrics", [])
                    if "MetricStat" in m}
    assert {"5XXError", "Throttles", "WriteThrottleEvents", "Errors"} <= metrics
    # API Gateway's metrics are dimensioned by the REST API's name: the swagger title.
    title = package.props("RestAPI")["DefinitionBody"]["info"]["title"]
    dims = alarms["Api5xxRateAlarm"]["Properties"]["Dimensions"]
    assert {"Name": "ApiName", "Value": title} in dims and {"Name": "Stage", "Value": "api"} in dims
    sub = package.template["Resources"]["AlarmEmailSubscription"]
    assert sub["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}


def test_ses_identity_is_a_parameter(package):
    params = package.template["Parameters"]
    assert "SesIdentity" in params and "MailFrom" in params
    assert package.template["Resources"]["SesEmailIdentity"]["Properties"]["EmailIdentity"] == \
        {"Ref": "SesIdentity"}


def test_deployment_package_is_lean(package):
    names = package.zip_names()
    size = package.zip_path.stat().st_size
    print(f"\ndeployment.zip: {size / 1e6:.1f} MB, {len(names)} files")
    assert "app.py" in names and "chalicelib/wiring.py" in names
    leaked = [n for n in names if n.startswith(FORBIDDEN_IN_ZIP)]
    assert not leaked, leaked[:20]
    assert not [n for n in names if n.endswith((".pyc", ".eml")) or "__pycache__" in n]
    assert size < 50 * 1024 * 1024  # Lambda's limit for a direct zip upload


def test_sam_expansion_is_valid_and_lints_clean(package, tmp_path, monkeypatch):
    """The template as CloudFormation will run it: SAM's own translator expands the functions
    (roles, EventBridge rules, invoke permissions), and the result lints clean too."""
    pytest.importorskip("samtranslator", reason="aws-sam-translator is not installed")
    from samtranslator.translator.transform import transform

    for k, v in {"AWS_DEFAULT_REGION": "eu-west-1", "AWS_REGION": "eu-west-1",
                 "AWS_ACCESS_KEY_ID": "offline", "AWS_SECRET_ACCESS_KEY": "offline",
                 "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_EC2_METADATA_DISABLED": "true"}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_PROFILE", raising=False)

    class NoManagedPolicies:  # the template names none (checked above); never ask IAM
        def load(self) -> dict:
            return {}

    template = json.loads(json.dumps(package.template))
    for res in template["Resources"].values():
        if res["Type"] == "AWS::Serverless::Function":  # as `aws cloudformation package` does
            res["Properties"]["CodeUri"] = "s3://artifact-bucket/deployment.zip"
    expanded = transform(template, {}, NoManagedPolicies())
    resources = expanded["Resources"]
    for function in [*SCHEDULED, "Reminders"]:
        rules = [r for r in resources.values() if r["Type"] == "AWS::Events::Rule" and
                 {"Fn::GetAtt": [function, "Arn"]} in [t["Arn"] for t in r["Properties"]["Targets"]]]
        assert len(rules) == 1, function
        assert any(r["Type"] == "AWS::Lambda::Permission" and
                   r["Properties"]["Principal"] == "events.amazonaws.com" and
                   r["Properties"]["FunctionName"] == {"Ref": function} for r in resources.values())
    path = tmp_path / "expanded.json"
    path.write_text(json.dumps(expanded, indent=1))
    proc = subprocess.run([str(BIN / "cfn-lint"), "--format", "parseable", "--regions",
                           "eu-west-1", "us-east-1", "--", str(path)],
                          capture_output=True, text=True, timeout=120)
    findings = [f for f in proc.stdout.splitlines()
                if f.strip() and f.split(":")[5] not in CFN_LINT_IGNORED]
    assert not findings, "\n".join(findings) + proc.stderr


def test_the_mail_worker_reads_the_tables_stream_with_retries_and_a_dead_letter_queue(package):
    """Chalice cannot set these: the merged template must (issue 13)."""
    assert package.props("Table")["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    source = package.props("MailWorker")["Events"]["MailWorkerDynamodbEventSource"]["Properties"]
    assert source["Stream"] == {"Fn::GetAtt": ["Table", "StreamArn"]}
    assert source["BisectBatchOnFunctionError"] is True and source["MaximumRetryAttempts"] > 0
    assert source["DestinationConfig"]["OnFailure"]["Destination"] == \
        {"Fn::GetAtt": ["MailDeadLetterQueue", "Arn"]}
    alarm = package.props("MailDeadLetterAlarm")
    assert alarm["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["MailDeadLetterQueue", "QueueName"]}
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    env = package.props("MailWorker")["Environment"]["Variables"]
    assert env["MAIL_SEND_PER_SECOND"] == {"Ref": "MailSendPerSecond"}


def test_only_the_roles_granted_kms_decrypt_escape_the_key_policys_deny(package):
    """The KMS key refuses kms:Decrypt to every principal but the roles named in its policy:
    they must be exactly the roles whose IAM policy grants it (a function added that opens
    addresses, the update mailer, needs both)."""
    roles = package.resources("AWS::IAM::Role")
    granted = {name for name, r in roles.items()
               if "kms:Decrypt" in json.dumps(r["Properties"].get("Policies", []))}
    deny = next(st for st in package.props("SignerDataKey")["KeyPolicy"]["Statement"]
                if st["Effect"] == "Deny" and st["Action"] == "kms:Decrypt")
    named = {re.search(r"\$\{AWS::StackName\}-(\w+)-\*", p["Fn::Sub"]).group(1)
             for p in deny["Condition"]["ArnNotLike"]["aws:PrincipalArn"]}
    assert named == granted == {"MailWorkerRole", "JobWorkerRole", "UpdateMailerRole"}
