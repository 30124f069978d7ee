"""Writes acknowledged before a `kill -9` are there after the restart: the IAM entities, and
the audit trail's event of every acknowledged mutating IAM call and of every issued AssumeRole
and GetSessionToken. PHASE=write makes the calls (some from concurrent callers, none of which
may fail) and notes their request ids in STATE; PHASE=read checks them after the restart."""

import json
import os
import threading

from rc import admin, allow, client, doc, new_user_with_key

iam = admin("iam")
STATE = os.environ["STATE"]


def rid(response):
    return response["ResponseMetadata"]["RequestId"]


if os.environ["PHASE"] == "write":
    acknowledged = {}  # request id -> event name
    issued = {}  # request id -> the access key id of the credentials issued
    for i in range(20):
        acknowledged[rid(iam.create_user(UserName=f"durable{i}"))] = "CreateUser"
    role = doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})
    acknowledged[rid(iam.create_role(RoleName="R", AssumeRolePolicyDocument=role))] = "CreateRole"
    acknowledged[rid(iam.put_role_policy(RoleName="R", PolicyName="p", PolicyDocument=doc(allow("iam:ListUsers"))))] = "PutRolePolicy"
    key = new_user_with_key(iam, "issuer", doc(allow("sts:AssumeRole")))
    sts = client("sts", key["AccessKeyId"], key["SecretAccessKey"])

    # Concurrent callers, so that events reach the trail's writer together and are committed in
    # shared batches.
    lock = threading.Lock()
    failures = []

    def burst(t):
        try:
            calls(t)
        except Exception as e:  # noqa: BLE001 - reported by the main thread
            failures.append(f"caller {t}: {e}")

    def calls(t):
        mine = admin("iam")
        mine_sts = client("sts", key["AccessKeyId"], key["SecretAccessKey"])
        for i in range(10):
            r = mine.create_user(UserName=f"burst{t}x{i}")
            with lock:
                acknowledged[rid(r)] = "CreateUser"
            # Writes that read first (the policy size check, the tag limit), beside the
            # other callers' writes and the trail's own.
            r = mine.put_user_policy(UserName=f"burst{t}x{i}", PolicyName="p", PolicyDocument=doc(allow("iam:GetUser")))
            with lock:
                acknowledged[rid(r)] = "PutUserPolicy"
            r = mine.tag_user(UserName=f"burst{t}x{i}", Tags=[{"Key": "t", "Value": str(t)}])
            with lock:
                acknowledged[rid(r)] = "TagUser"
            r = mine_sts.assume_role(RoleArn=iam.get_role(RoleName="R")["Role"]["Arn"], RoleSessionName=f"s{t}x{i}")
            with lock:
                acknowledged[rid(r)] = "AssumeRole"
                issued[rid(r)] = r["Credentials"]["AccessKeyId"]

    threads = [threading.Thread(target=burst, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures
    for _ in range(3):
        r = sts.get_session_token(DurationSeconds=900)
        acknowledged[rid(r)] = "GetSessionToken"
        issued[rid(r)] = r["Credentials"]["AccessKeyId"]
    # The last acknowledged calls before the kill.
    for i in range(5):
        acknowledged[rid(iam.tag_user(UserName=f"durable{i}", Tags=[{"Key": "k", "Value": str(i)}]))] = "TagUser"
    with open(STATE, "w") as f:
        json.dump({"acknowledged": acknowledged, "issued": issued}, f)
    print("written")
else:
    names = [u["UserName"] for p in iam.get_paginator("list_users").paginate() for u in p["Users"]]
    assert all(f"durable{i}" in names for i in range(20)), names
    assert all(f"burst{t}x{i}" in names for t in range(4) for i in range(10)), names
    assert iam.get_role_policy(RoleName="R", PolicyName="p")["PolicyName"] == "p"
    with open(STATE) as f:
        state = json.load(f)
    trail = {}
    for page in admin("cloudtrail").get_paginator("lookup_events").paginate(PaginationConfig={"PageSize": 50}):
        for e in page["Events"]:
            r = json.loads(e["CloudTrailEvent"])
            trail[r["requestID"]] = r
    missing = {k: v for k, v in state["acknowledged"].items() if k not in trail}
    assert not missing, f"{len(missing)} acknowledged calls have no event after kill -9: {missing}"
    for request, name in state["acknowledged"].items():
        r = trail[request]
        assert r["eventName"] == name and "errorCode" not in r, r
    for request, key_id in state["issued"].items():
        assert trail[request]["responseElements"]["credentials"]["accessKeyId"] == key_id, trail[request]
    print("still there")
