"""The OpenAPI document covers every route, body, response and error the app can give."""
from __future__ import annotations

import app
from chalicelib import openapi


def test_every_route_is_documented_and_every_documented_route_exists():
    assert openapi.route_table(app.app) == openapi.documented_routes()


def test_document_is_openapi_3_1_with_error_shape_on_every_error(client):
    doc = client.http.get("/openapi.json").json_body
    assert doc["openapi"].startswith("3.1")
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            assert "500" in op["responses"], (method, path)
            for status, resp in op["responses"].items():
                if int(status) < 400:
                    continue
                schema = resp["content"]["application/json"]["schema"]
                if int(status) >= 400:
                    assert schema == {"$ref": "#/components/schemas/ErrorBody"}
            if method == "post":
                assert {"400", "413", "415", "422"} <= set(op["responses"])
                ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                assert ref.rsplit("/", 1)[1] in doc["components"]["schemas"]


def test_every_ref_resolves(client):
    doc = client.http.get("/openapi.json").json_body
    refs = set()

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                refs.add(node["$ref"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(doc)
    names = set(doc["components"]["schemas"])
    assert {r.rsplit("/", 1)[1] for r in refs} <= names


def test_signature_request_schema_lists_both_kinds(client):
    schemas = client.http.get("/openapi.json").json_body["components"]["schemas"]
    assert set(schemas["SignatureIn"]["discriminator"]["mapping"]) == {"organisation", "individual"}
    assert schemas["IndividualSignatureIn"]["additionalProperties"] is False
