"""The worst simulation requests, sent to a server that runs under a memory limit: each is
answered with one bounded page (or refused), and the server answers the next request.

Requests are signed by botocore but sent and read raw, so that no client parses the answers."""

import json
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from rc import ADMINS, ENDPOINT, admin, allow, doc

A = ADMINS[0]["AccountId"]
BODY_LIMIT = int(os.environ["RC_BODY_LIMIT"])
iam = admin("iam")

# The caller: read-only IAM, which includes both simulations.
iam.create_user(UserName="auditor")
iam.attach_user_policy(UserName="auditor", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
key = iam.create_access_key(UserName="auditor")["AccessKey"]
creds = Credentials(key["AccessKeyId"], key["SecretAccessKey"])


def members(name, values):
    return [(f"{name}.member.{i}", v) for i, v in enumerate(values, 1)]


def send(action, params, timeout=120):
    """Signs and posts one IAM request; returns (status, body bytes, seconds)."""
    body = urllib.parse.urlencode([("Action", action), ("Version", "2010-05-08")] + params)
    request = AWSRequest(
        method="POST",
        url=ENDPOINT + "/",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    SigV4Auth(creds, "iam", "us-east-1").add_auth(request)
    raw = urllib.request.Request(ENDPOINT + "/", data=body.encode(), headers=dict(request.headers.items()), method="POST")
    started = time.monotonic()
    try:
        with urllib.request.urlopen(raw, timeout=timeout) as resp:
            return resp.status, resp.read(), time.monotonic() - started
    except urllib.error.HTTPError as e:
        return e.code, e.read(), time.monotonic() - started


def still_answers():
    status, body, _ = send("GetUser", [("UserName", "auditor")], timeout=30)
    assert status == 200 and b"<UserName>auditor</UserName>" in body, (status, body[:300])


def results(body):
    return body.count(b"<EvalActionName>")


def statements(n):
    return doc(*[allow("*") for _ in range(n)])


actions = [f"svc:Action{i:03}" for i in range(100)]
resources = [f"arn:aws:s3:::bucket-{i:03}/key" for i in range(100)]

# 1. The reported request: 1,000 Allow * statements, 100 actions, 100 resources, 10,000
#    results of 1,000 matched statements each; at MaxItems 1, 100 (default) and 1000.
thousand = statements(1000)
for max_items in (["1"], [], ["1000"]):
    params = members("PolicyInputList", [thousand]) + members("ActionNames", actions) + members("ResourceArns", resources)
    params += [("MaxItems", m) for m in max_items]
    status, body, seconds = send("SimulateCustomPolicy", params)
    assert status == 200, (status, body[:500])
    n = results(body)
    assert 1 <= n <= (int(max_items[0]) if max_items else 100), n
    assert b"<IsTruncated>true</IsTruncated>" in body and b"<Marker>" in body
    assert len(body) < 32 << 20, len(body)
    print(f"1,000 statements x 10,000 results, MaxItems={max_items or 'default'}: {n} results, {len(body)} bytes, {seconds:.1f}s")
    still_answers()


# 2. A body filled to the limit with policies: as many documents of Allow * statements as fit.
def filled(prefix_params):
    docs = []
    while True:
        trial = docs + [statements(2000)]
        size = len(urllib.parse.urlencode(prefix_params + members("PolicyInputList", trial)))
        if size > BODY_LIMIT - 200:
            return docs
        docs = trial


prefix = members("ActionNames", actions[:10]) + members("ResourceArns", resources[:10]) + [("MaxItems", "1000")]
docs = filled(prefix)
assert len(docs) >= 4, len(docs)
status, body, seconds = send("SimulateCustomPolicy", prefix + members("PolicyInputList", docs))
assert status == 200, (status, body[:500])
print(f"{len(docs) * 2000} statements in one body: {results(body)} results, {len(body)} bytes, {seconds:.1f}s")
still_answers()
# The same against a principal, with the boundary given too.
status, body, _ = send(
    "SimulatePrincipalPolicy",
    [("PolicySourceArn", f"arn:aws:iam::{A}:user/auditor")] + prefix + members("PolicyInputList", docs[:-2])
    + members("PermissionsBoundaryPolicyInputList", [statements(2000)]),
)
assert status == 200, (status, body[:500])
still_answers()

# 3. Many long context values under conditions that scan them all, and deeply nested policy
#    text: answered or refused, never a crash.
entries = []
for i in range(40):
    entries += [(f"ContextEntries.member.{i + 1}.ContextKeyName", f"aws:Key{i:04}"), (f"ContextEntries.member.{i + 1}.ContextKeyType", "stringList")]
    entries += members(f"ContextEntries.member.{i + 1}.ContextKeyValues", [f"v{j:04}" * 90 for j in range(40)])
many_conditions = doc(*[allow("*", Condition={"ForAnyValue:StringLike": {f"aws:Key{i:04}": "*v0039*"}}) for i in range(40)])
status, body, _ = send("SimulateCustomPolicy", members("PolicyInputList", [many_conditions]) + members("ActionNames", actions) + entries)
assert status == 200, (status, body[:500])
still_answers()
deep = '{"Version":"2012-10-17","Statement":' + "[" * 60000 + "]" * 60000 + "}"
status, body, _ = send("SimulateCustomPolicy", members("PolicyInputList", [deep]) + members("ActionNames", ["a:b"]))
assert status == 400 and b"MalformedPolicyDocument" in body, (status, body[:300])
still_answers()

# 4. The worst of them at once, from four clients.
failures = []


def worst():
    params = members("PolicyInputList", [thousand]) + members("ActionNames", actions) + members("ResourceArns", resources) + [("MaxItems", "1000")]
    status, body, _ = send("SimulateCustomPolicy", params)
    if status != 200:
        failures.append((status, body[:300]))


threads = [threading.Thread(target=worst) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
assert not failures, failures
still_answers()
print("simulation memory ok")
