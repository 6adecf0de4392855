"""Infra tier: the deployable template, built offline once per session (no AWS, no network)."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@dataclass
class Package:
    dir: Path
    template: dict
    zip_path: Path

    def resources(self, type_: str) -> dict[str, dict]:
        return {k: v for k, v in self.template["Resources"].items() if v.get("Type") == type_}

    def props(self, name: str) -> dict:
        return self.template["Resources"][name]["Properties"]

    def zip_names(self) -> list[str]:
        with zipfile.ZipFile(self.zip_path) as z:
            return z.namelist()


def offline_env() -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")}
    env.update(AWS_ACCESS_KEY_ID="offline", AWS_SECRET_ACCESS_KEY="offline",
               AWS_SESSION_TOKEN="offline", AWS_DEFAULT_REGION="eu-west-1",
               AWS_REGION="eu-west-1", AWS_ENDPOINT_URL="http://127.0.0.1:9",
               AWS_EC2_METADATA_DISABLED="true")
    return env


@pytest.fixture(scope="session")
def package(tmp_path_factory) -> Package:
    """`chalice package --stage prod --merge-template infra/resources.yaml`, as `make package` runs it."""
    out = tmp_path_factory.mktemp("package") / "package"
    proc = subprocess.run(
        [str(BIN / "chalice"), "package", "--stage", "prod",
         "--merge-template", "infra/resources.yaml", str(out)],
        cwd=ROOT, env=offline_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    template = yaml.safe_load((out / "sam.yaml").read_text())
    return Package(out, template, out / "deployment.zip")
