"""Runs Schemathesis against a real `creneau serve --demo`: the OpenAPI
document is validated against the OpenAPI 3.1 schema, then every operation
is fuzzed with a staff (administrator) token and again without credentials.
Beside Schemathesis's checks (no 5xx, every answer in its schema, status
codes, content types, headers, 405 with Allow, refused bad data…), two of
Créneau's: no answer to a stranger holds a resident's data, and no event
in the log was written by a request that was refused.

Usage (scripts/api-fuzz calls it): run.py BINARY WORKDIR SEED EXAMPLES
"""

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
import uuid

from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

HERE = os.path.dirname(os.path.abspath(__file__))

# Requests that are refused and still write, on purpose: a wrong password
# is counted in the log (the lockout holds across processes), and so are
# the attempts a rate limit counts.
WRITTEN_WHEN_REFUSED = {"StaffSignInFailed", "AttemptCounted", "LimitHit"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("content-type", "application/json")
    for k, v in (headers or {}).items():
        request.add_header(k, v)
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def main():
    binary, work, seed, examples = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = os.path.join(work, "serve.log")
    env = dict(os.environ, CRENEAU_LOG_FORMAT="json", CRENEAU_DATA=os.path.join(work, "data"),
               CRENEAU_LISTEN=f"127.0.0.1:{port}", RUST_LOG="info")
    with open(log_path, "w") as log:
        server = subprocess.Popen([binary, "serve", "--demo"], stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        return fuzz(base, work, log_path, seed, examples)
    finally:
        server.terminate()
        server.wait(timeout=30)


def fuzz(base, work, log_path, seed, examples):
    deadline = time.monotonic() + 120
    while True:
        try:
            status, _, _ = call(base, "GET", "/readyz")
            if status == 200:
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            print("creneau serve --demo did not become ready in 2 minutes; its log:", log_path)
            return 1
        time.sleep(0.5)
    with open(log_path) as f:
        password = re.search(r"shown once: (\S+?)\)", f.read()).group(1)

    document = os.path.join(work, "openapi.json")
    with open(document, "w") as f:
        f.write(call(base, "GET", "/api/openapi.json")[2])
    spec, _ = read_from_filename(document)
    validate(spec)
    print("the OpenAPI document is valid OpenAPI 3.1")

    def new_token():
        """An administrator's API token, through the documented sign-in."""
        status, headers, body = call(base, "POST", "/api/v1/session",
                                     {"email": "admin@demo.creneau.fr", "password": password})
        assert status == 201, (status, body)
        cookie = headers["set-cookie"].split(";")[0]
        csrf = json.loads(body)["csrf_token"]
        status, _, body = call(base, "POST", "/api/v1/tokens", {"label": "api fuzz", "days": 1},
                               {"cookie": cookie, "x-csrf-token": csrf})
        assert status == 201, (status, body)
        return json.loads(body)["token"]

    token = new_token()

    # A resident with an appointment (booked by reception: some sites ask
    # residents online for an SMS code), whom no stranger may read.
    sites = json.loads(call(base, "GET", "/api/v1/sites")[2])
    booked = None
    for site in sites:
        free = json.loads(call(base, "GET", f"/api/v1/availability?site={site['site_id']}&reason=procedure_caf&days=28")[2])
        if free:
            booked = call(base, "POST", "/api/v1/appointments", {
                "site": site["site_id"], "start": free[0]["start"], "reason": "procedure_caf",
                "resident": {"name": "Zoé Fuzzcheck", "phone": "06 98 76 54 32", "email": "zoe.fuzzcheck@example.org"},
            }, {"authorization": f"Bearer {token}"})
            break
    assert booked and booked[0] == 201, booked
    secrets = ["Fuzzcheck", "0698765432", "06 98 76 54 32", "+33698765432", "zoe.fuzzcheck"]

    # What may end the caller's own credentials (its token revoked, its
    # password set, its account disabled) runs last, with a token of its
    # own, so that it does not leave the other operations answering 401.
    ending = ["delete_api_v1_tokens__token_id_", "post_api_v1_staff__staff_id__password",
              "post_api_v1_staff__staff_id__disable", "delete_api_v1_staff__staff_id__grants__role_",
              "put_api_v1_session_password", "delete_api_v1_session"]
    failed = False
    for who, extra, excluded in [
        # With a valid token on every request, a bad cookie beside it is
        # no bad authentication: ignored_auth is for the run without.
        ("an administrator's token", ["-H", f"Authorization: Bearer {token}"]
         + [a for op in ending for a in ("--exclude-operation-id", op)],
         "positive_data_acceptance,ignored_auth"),
        ("an administrator's token, what ends credentials",
         ["-H", f"Authorization: Bearer {new_token()}"]
         + [a for op in ending for a in ("--include-operation-id", op)],
         "positive_data_acceptance,ignored_auth"),
        ("no credentials", [], "positive_data_acceptance"),
    ]:
        print(f"\nSchemathesis, {who} (seed {seed}, {examples} examples per operation)", flush=True)
        env = dict(os.environ, SCHEMATHESIS_HOOKS="checks", PYTHONPATH=HERE,
                   CRENEAU_FUZZ_SECRETS="" if extra else "|".join(secrets))
        run = subprocess.run(
            [os.path.join(os.path.dirname(sys.executable), "schemathesis"), "run", f"{base}/api/openapi.json",
             "--seed", str(seed), "--max-examples", str(examples), "--checks", "all",
             "--exclude-checks", excluded, "--workers", "2", "--no-color",
             "--suppress-health-check", "all", "--request-timeout", "10", *extra],
            env=env, cwd=work)
        failed |= run.returncode != 0

    # Nothing written by a request that was refused: every event carries
    # the correlation id of the request that wrote it.
    refused = {}
    with open(log_path) as f:
        for line in f:
            if '"answered"' not in line:
                continue
            entry = json.loads(line)
            if entry.get("status", 0) >= 400:
                span = entry.get("span", {})
                refused[uuid.UUID(span["correlation_id"]).bytes] = f"{span.get('method')} {span.get('path')} → {entry['status']}"
    db = sqlite3.connect(f"file:{os.path.join(work, 'data', 'creneau.db')}?mode=ro", uri=True)
    written = [(t, refused[bytes(c)]) for t, c in db.execute("SELECT event_type, correlation_id FROM events")
               if bytes(c) in refused and t not in WRITTEN_WHEN_REFUSED]
    print(f"\n{len(refused)} requests were refused; events they wrote: {len(written)}")
    for event_type, request in written[:20]:
        print(f"  {event_type} written by {request}")
    failed |= bool(written)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
